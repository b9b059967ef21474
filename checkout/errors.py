"""Domain errors: entry points translate these into replies, pages or exit codes."""

from __future__ import annotations


class CheckoutError(Exception):
    """Base for what a shopper or seller did that the shop cannot do."""


class NotEnoughStock(CheckoutError):
    def __init__(self, sku: str, requested: int, available: int, name: str | None = None):
        super().__init__(f"{sku}: {requested} requested, {available} available")
        self.sku, self.requested, self.available, self.name = sku, requested, available, name


class CartEmpty(CheckoutError):
    pass


class ProductUnavailable(CheckoutError):
    """The SKU was deactivated since it went into the cart."""

    def __init__(self, sku: str):
        super().__init__(f"{sku} is no longer sold")
        self.sku = sku


class InvalidTransition(CheckoutError):
    """An order status change that its current status does not allow."""

    def __init__(self, number: str, status: str, wanted: str):
        super().__init__(f"order {number} is {status}; it cannot become {wanted}")
        self.number, self.status, self.wanted = number, status, wanted


class PaymentUnavailable(CheckoutError):
    """A payment could not be started (the provider failed or refused); the order still awaits payment."""

    def __init__(self, method: str, reason: str):
        super().__init__(f"{method}: {reason}")
        self.method, self.reason = method, reason


class CustomerNotFound(CheckoutError):
    def __init__(self, customer_id: int):
        super().__init__(f"no customer with id {customer_id}")
        self.customer_id = customer_id


class NoSuchVariant(CheckoutError):
    """No active product of that name comes in that colour and size (it was deactivated, or never offered)."""

    def __init__(self, product: str | None, color: str | None, size: str | None):
        super().__init__(f"{product!r} is not sold in colour {color!r}, size {size!r}")
        self.product, self.color, self.size = product, color, size


class InvalidQuantity(CheckoutError):
    """A cart line of fewer than one item."""

    def __init__(self, quantity: int):
        super().__init__(f"{quantity} is not a quantity that can be added")
        self.quantity = quantity


class CartLineAboveStock(NotEnoughStock):
    """More of a SKU than the shelf still has beyond what the cart already holds."""
