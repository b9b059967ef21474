"""rasa-sdk custom actions: translate between Rasa's tracker and the checkout services, nothing more.

rasa-sdk imports every module here at start-up, so no module opens a connection at import time.
"""
