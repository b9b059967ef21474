"""What the seller's insights page shows: sales over time, top products, the funnel, what the bot missed."""
