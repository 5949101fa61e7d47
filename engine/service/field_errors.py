"""The refusals of a form, collected field by field before anything is written.

The admin forms (accounts, calls for applications) check every field and answer with every
fault at once: a person corrects the whole form in one go instead of one field per attempt.
The refusal is one `InvalidInput` whose `errors` detail maps each faulty field to its French
message; the web views show each message next to its field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InvalidInput


class FieldErrors:
    """French messages by field name, in the order they were found."""

    def __init__(self, messages: Mapping[str, str] | None = None) -> None:
        self.messages: dict[str, str] = dict(messages or {})

    def check(self, name: str, check: Callable[..., Any], *args: Any) -> Any:
        """`check(*args)`, or None with its `InvalidInput` message kept under `name`."""
        try:
            return check(*args)
        except InvalidInput as refused:
            self.messages[name] = refused.message
            return None

    def add(self, name: str, message: str) -> None:
        """A fault found by comparing fields (a closing date before the opening one)."""
        self.messages[name] = message

    def __contains__(self, name: object) -> bool:
        return name in self.messages

    def __len__(self) -> int:
        return len(self.messages)

    def refusal(self) -> InvalidInput:
        """The one error a form gets: « Le formulaire contient 2 erreurs : … », per field."""
        count = len(self.messages)
        what = "une erreur" if count == 1 else f"{count} erreurs"
        return InvalidInput(
            f"Le formulaire contient {what} : corrigez les champs signalés.",
            errors=dict(self.messages),
        )

    def raise_if_any(self) -> None:
        """Refuse the form if any field was refused; nothing has been written yet."""
        if self.messages:
            raise self.refusal()
