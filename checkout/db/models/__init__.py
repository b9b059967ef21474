"""All tables; importing this package registers them on `Base.metadata`."""

from .access import ApiToken, DashboardSession, LoginAttempt, SellerUser
from .audit import AuditLog
from .base import Base, utcnow
from .catalog import Product, Variant
from .channels import ButtonPayload, InboundMessage
from .customers import Conversation, Customer, ForgottenSender, Message
from .marketing import Campaign, CampaignRecipient, ConsentChange
from .orders import ORDER_STATUSES, Cart, CartItem, Order, OrderItem
from .outbox import OUTBOX_STATUSES, OutboxMessage
from .payments import Payment, PaymentProof, ProcessedEvent, Refund
from .promotions import PromoCode, PromoRedemption, Promotion
from .records import ConsumerPosition
from .training import NluModel, NluReview

__all__ = [
    "ApiToken",
    "AuditLog",
    "Base",
    "ButtonPayload",
    "InboundMessage",
    "Campaign",
    "CampaignRecipient",
    "Cart",
    "CartItem",
    "ConsentChange",
    "ConsumerPosition",
    "Conversation",
    "Customer",
    "DashboardSession",
    "ForgottenSender",
    "LoginAttempt",
    "Message",
    "NluModel",
    "NluReview",
    "ORDER_STATUSES",
    "OUTBOX_STATUSES",
    "Order",
    "OrderItem",
    "OutboxMessage",
    "Payment",
    "PaymentProof",
    "ProcessedEvent",
    "Product",
    "PromoCode",
    "PromoRedemption",
    "Promotion",
    "Refund",
    "SellerUser",
    "Variant",
    "utcnow",
]
