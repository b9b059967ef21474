"""The commerce core: catalog, carts, orders, payments, customer records. Imports no channel or web framework."""
