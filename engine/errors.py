"""Errors the service layer raises, each with a French message for people and a code for APIs.

Callers (CLI, web) show `message` as is and map `code` to an exit status or an HTTP status; a
traceback never reaches a user.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any


class EngineError(Exception):
    """Base of every error a user can cause or see."""

    code = "erreur"
    http_status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class NotFound(EngineError):
    code = "introuvable"
    http_status = 404


class InvalidInput(EngineError):
    """Data a person typed or sent is refused (start data, task data, territory, SIREN)."""

    code = "donnees_invalides"
    http_status = 422


class Conflict(EngineError):
    """Someone else changed the instance or the task first; nothing was written."""

    code = "conflit"
    http_status = 409


class Forbidden(EngineError):
    code = "interdit"
    http_status = 403


@dataclass
class DefinitionProblem:
    """One problem found in a BPMN, DMN or form file, located as precisely as we can.

    `element` names the element for people; `element_id` is its BPMN id, so that the editor puts
    the problem on its shape, and `scope_id` the process or sub-process holding it, where a
    problem goes when its element has no shape (a condition, a lane set). Errors block a
    deployment; warnings are shown and do not.
    """

    file: str
    message: str
    line: int | None = None
    element: str | None = None
    rule: str = "definition"
    severity: str = "error"
    element_id: str | None = None
    scope_id: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        element = f" (élément « {self.element} »)" if self.element else ""
        warning = "avertissement : " if self.severity == WARNING else ""
        return f"{where} : {warning}{self.message}{element}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "element_id": self.element_id,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "scope_id": self.scope_id,
        }


ERROR = "error"
WARNING = "warning"


class InvalidDefinition(EngineError):
    """A BPMN/DMN deployment is refused; nothing of it was deployed."""

    code = "definition_invalide"
    http_status = 422

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(str(p) for p in problems),
            problems=[p.to_dict() for p in problems],
        )


class ScriptError(EngineError):
    """A script, condition or expression of the process failed or left the sandbox.

    The step that ran it is abandoned: the stored instance stays as it was.
    """

    code = "erreur_script"
    http_status = 422

    def __init__(self, message: str, *, cause: BaseException | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        #: The failure as a developer reads it (exception and traceback of `cause`), for the
        #: logs only: people see a French message, never this.
        self.technical = "".join(traceback.format_exception(cause)) if cause is not None else ""


class SandboxViolation(ScriptError):
    code = "script_interdit"


class ProcessIncident(EngineError):
    """The engine cannot carry the instance further (for example its history grew too deep)."""

    code = "incident"
    http_status = 409
