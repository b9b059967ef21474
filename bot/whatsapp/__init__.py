"""WhatsApp gateway: the WhatsApp Cloud API between shoppers and Rasa's REST channel."""
