"""Rasa checks each reply of the action server against one fixed schema with `jsonschema.validate`, which first
checks that schema against the JSON-Schema meta-schema and builds a new validator, on every call: most of the
check's cost, and garbage for the collector, several times a turn. Here the validator is built and the schema
checked once; each reply is checked as before (`iter_errors`, `best_match`) and a bad one fails with the same error.
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_validators: dict[Any, Any] = {}  # per action class (Rasa has one): its schema checked, its validator built


def _validator(action_class: Any) -> Any:
    if action_class not in _validators:
        schema = action_class.action_response_format_spec()
        checker = validator_for(schema)
        checker.check_schema(schema)
        _validators[action_class] = checker(schema)
    return _validators[action_class]


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result of Rasa 3.6, with the validator built once per action class."""
    error = best_match(_validator(type(self)).iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def check_action_replies_with_a_compiled_schema() -> None:
    RemoteAction._validate_action_result = _validate_action_result
