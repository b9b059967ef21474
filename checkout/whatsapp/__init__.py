"""WhatsApp Cloud API: the webhook's messages kept for the worker, the 24-hour window, delivery states.

No HTTP here (bot/whatsapp/ talks to the Graph API, web/ serves the webhook): this is what they store and read."""
