"""Marketing: consent to offers, campaigns to consenting customers, and what the campaigns brought in."""
