"""Who may act as the seller: accounts, the dashboard login and the JSON API bearer tokens."""
