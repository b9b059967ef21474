"""Orders: numbers, creation from a cart, status changes, and the export contract."""
