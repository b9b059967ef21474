"""Telegram Payments: in-chat invoices, the pre-checkout check, paid updates and the invoice delivery."""
