"""Email, a channel of the outbox: order emails to shoppers who gave an address, campaign emails to those who said
yes to offers by email. Rows are queued in the transaction of the change they announce and sent by the email sender
process (`python -m checkout.email`, started by `shop run` when SMTP_URL is set); nothing is sent inside a web
request or an action."""

from checkout.email.configuration import email_configuration_error, email_configured, marketing_email_error

__all__ = ["email_configuration_error", "email_configured", "marketing_email_error"]
