"""All tables; importing this package registers them on `Base.metadata`."""
from .admin import AuditLog, LoginAttempt, SellerUser
from .base import Base, utcnow
from .catalog import Product, Variant
from .channels import ButtonPayload, PaymentProof
from .customers import Conversation, Customer, Message
from .orders import ORDER_STATUSES, Cart, CartItem, Order, OrderItem, Payment, ProcessedEvent
from .outbox import OUTBOX_STATUSES, OutboxMessage
from .records import ApiToken, ConsumerPosition, ForgottenSender

__all__ = [
    "ApiToken", "AuditLog", "Base", "ButtonPayload", "Cart", "CartItem", "ConsumerPosition", "Conversation",
    "Customer", "ForgottenSender", "LoginAttempt", "Message", "ORDER_STATUSES", "OUTBOX_STATUSES", "Order",
    "OrderItem", "OutboxMessage", "Payment", "PaymentProof", "ProcessedEvent", "Product", "SellerUser", "Variant",
    "utcnow",
]
