"""Customer records from Rasa's event stream: every message in and out, customers and conversations."""
