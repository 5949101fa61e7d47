"""Declarative forms: JSON Schema plus French presentation hints, validated on the server."""

from .schema import FormProblem, check_form
from .submission import make_validator, validate_submission

__all__ = ["FormProblem", "check_form", "make_validator", "validate_submission"]
