"""Rasa NLU components of ours. Rasa loads them by module path in its own environment (.venv-rasa, Python
3.10), so they live outside checkout/ (which imports no Rasa) and only use checkout's pure modules."""
