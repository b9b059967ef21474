"""What the gateway says on its own, when Rasa cannot answer or the input is not something Rasa reads.

Everything the assistant says in a conversation lives in domain.yml; these are the few sentences that must
work while Rasa is down or before a message reaches it.
"""

from checkout import flood_limits

ASSISTANT_UNAVAILABLE = "Sorry, I can't answer right now. I've kept your message; please try again in a minute."
ASSISTANT_SLOW = "Sorry, this is taking longer than usual. I'll answer as soon as I can."
# Past the flood limit (bot/flood.py): said once, then further messages are dropped until the limit's period passes.
SLOW_DOWN = flood_limits.SLOW_DOWN
TEXT_ONLY = "I can only read text messages. Please type what you're looking for."
BUTTON_EXPIRED = "This button no longer works. Please type your message instead."
PROOF_STORED = (
    "Thanks! I've added this to order {number} as your proof of payment. The seller will check it and confirm."
)
PROOF_ALREADY_STORED = "I already have this file on order {number}; the seller will check it."
PROOF_NOT_FETCHED = "Sorry, I couldn't download that file just now. Please send it again in a minute."
PROOF_TOO_LARGE = "That file is too large to keep as a proof of payment (10 MB at most). Please send a photo."
PAYMENT_NOT_CONFIRMED = (
    "Sorry, I couldn't confirm your order just now, so nothing was charged. Please tap Pay again in a moment."
)
# WhatsApp: a shared location is offered as the delivery address, with one button to take it.
USE_LOCATION = "Shall I deliver to this place?\n{address}"
USE_LOCATION_BUTTON = "Use this address"
