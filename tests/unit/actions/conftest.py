"""Fixtures of the action tests (defined in action_harness.py, beside the helpers the tests import)."""

from action_harness import catalog_template, domain, shop  # noqa: F401
