"""Payment providers behind one interface: manual (always), Stripe and Telegram invoices when configured."""
