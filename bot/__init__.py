"""Telegram gateway: python-telegram-bot between Telegram and Rasa's REST channel (`python -m bot`)."""
