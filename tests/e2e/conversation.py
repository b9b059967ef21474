"""A shopper talking to the real stack: sends messages, keeps the sender id, reads replies."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from checkout.carts import get_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import Order, Variant


class Shopper:
    def __init__(self, stack, name: str = "shopper"):
        self.stack = stack
        self.sender = f"e2e-{name}-{uuid.uuid4().hex[:8]}"
        self.last: list[dict] = []

    def say(self, text: str) -> str:
        self.last = self.stack.say(text, sender=self.sender)
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.last)

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.last for b in m.get("buttons", [])]

    def press(self, title: str) -> str:
        button = next(b for b in self.buttons if b["title"] == title)
        return self.say(button["payload"])

    def check_out(
        self, name="Marie Dupont", phone="+33 6 12 34 56 78", address="12 rue de la République, 69002 Lyon, France"
    ) -> str:
        """From "checkout" to the order summary, answering each question."""
        assert "full name" in self.say("checkout"), self.text
        assert "phone" in self.say(name), self.text
        assert "address" in self.say(phone), self.text
        assert "email" in self.say(address), self.text
        return self.press("Skip")

    def cart(self) -> dict[str, int]:
        """The shopper's cart as {sku: quantity}, read from the database."""
        with self.stack.db.transaction() as session:
            customer = identify(session, ShopperIdentity.from_rasa(self.sender, "rest", {}))
            return {item.variant.sku: item.quantity for item in get_cart(session, customer).items}

    def orders(self) -> list[Order]:
        with self.stack.db.reading() as session:
            return list(session.scalars(select(Order).where(Order.sender_id == self.sender).order_by(Order.id)))


def set_stock(stack, sku: str, stock: int | None) -> None:
    with stack.db.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == sku).values(stock=stock))


def stock_of(stack, sku: str) -> int | None:
    with stack.db.reading() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == sku))
