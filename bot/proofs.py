"""A shopper's file as proof of payment, whatever the channel: the channel downloads it, checkout keeps it
(checkout/orders/proofs.py), this part says what to answer."""

from __future__ import annotations

from bot import texts
from bot.gateway import Gateway
from checkout.orders.proofs import ProofFile, ProofOutcome, keep_payment_proof


def keep_proof(gw: Gateway, user_id: str, proof: ProofFile) -> str:
    """Stores the proof on the shopper's unpaid order; returns the sentence to answer with."""
    outcome, number = keep_payment_proof(gw.db, user_id, proof)
    replies = {
        ProofOutcome.STORED: texts.PROOF_STORED,
        ProofOutcome.DUPLICATE: texts.PROOF_ALREADY_STORED,
        ProofOutcome.NO_ORDER: texts.TEXT_ONLY,
    }
    return replies[outcome].format(number=number)
