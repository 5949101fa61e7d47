"""Declarative forms (forms/*.json) as accessible HTML, and HTML posts back as typed JSON data.

The same schema drives both ways, without JavaScript:

- `build_fields` turns a schema, the data to show and the errors to show into a tree of
  `Field`s that the macro `render_fields` (templates/form_rendering/_form.html) renders with the State
  design system: one input per scalar, a fieldset per nested object, a fixed number of row
  groups per array of objects (the existing rows plus empty ones), a checkbox group per array
  of choices.
- `parse_submission` reads back only what the schema declares, typed as the schema says; what
  cannot be read (a number typed as « douze ») is passed on as typed, so that the server-side
  validation (engine/forms/submission.py) refuses it with its French message and the page shows
  the value again.

HTML names are the data paths the validation reports errors with: `contact.nom`,
`partenaires.0.organisme`, `departements.1`.

A person field (`"x-widget": "personne"`, engine/forms/people.py) is a list of the active
accounts of its role, given by the service layer (`people`). A conditional field (`x-si`,
engine/forms/conditions.py) always shows, its hint saying when it applies, and carries the
condition for web/static/champs-conditionnels.js, which hides it while it does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from engine import l10n
from engine.errors import InvalidInput
from engine.forms.conditions import condition
from engine.forms.files import FILE_WIDGET, FileField, is_file_field
from engine.forms.files import describe as describe_file
from engine.forms.people import PERSON_WIDGET, ROLE, is_person_field

#: The key the validation uses for an error that concerns the whole form.
FORM_ERROR = "formulaire"
#: Empty row groups offered after the existing rows of an array of objects (or of texts).
EXTRA_ROWS = 2
#: At most this many empty rows on request (« Ajouter des lignes »).
MAX_EXTRA_ROWS = 20
#: At most this many rows are read from a post, whatever the schema allows (a post is bounded
#: by MAX_CONTENT_LENGTH; this bounds the work too).
MAX_ROWS = 1000
#: The form's own controls (a form field never starts with "_"): the button pressed, and the
#: number of empty rows shown; MORE_ROWS is the button asking for more of them.
ACTION, ROWS, MORE_ROWS = "_action", "_lignes", "lignes"
TRUE, FALSE = "true", "false"
_TRUE_VALUES = frozenset({"true", "on", "oui", "1"})
_FALSE_VALUES = frozenset({"false", "non", "0"})
_INPUT_TYPES = {"email": "email", "telephone": "tel", "date": "date"}
_WIDGETS = frozenset(
    {"text", "textarea", "radio", "select", "checkboxes", "date", "montant", "nombre", "email",
     "telephone"}
)  # fmt: skip
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_INDEX = re.compile(r"^\d{1,4}$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class Field:
    """One control (or group of controls) of a form, ready to render.

    `widget` is one of the declarative widgets (text, textarea, radio, select, checkboxes, date,
    montant, nombre, email, telephone, personne: a list of accounts, `options`) or: `checkbox`
    (one box, a boolean), `ouinon` (a boolean
    as two radios), `group` (a nested object: a fieldset of `children`), `rows` (an array: a
    fieldset of `children` rows), `row` (one row of an array of objects: a fieldset), `message`
    (an error about the whole form, not about one field).

    `value` is what the control shows: a string, or the list of checked values (checkboxes).
    """

    name: str
    label: str
    help: str | None = None
    widget: str = "text"
    required: bool = False
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    children: list[Field] = field(default_factory=list)
    #: The label with its parents' (« Personne à contacter — Adresse électronique »), for the
    #: summary of errors at the top of the form.
    full_label: str = ""
    #: Integers only (the numeric keyboard on phones).
    integer: bool = False
    #: Required only in some cases (an `if`/`then` of the form; its help says when).
    conditional: bool = False
    #: A file field (widget `fichier`): what it accepts; `value` is the file already received.
    file: FileField | None = None
    #: Shown only if the control named first holds one of the values (as the HTML posts them).
    shown_if: tuple[str, list[str]] | None = None

    @property
    def id(self) -> str:
        return "champ-" + _ID_UNSAFE.sub("-", self.name.replace(".", "-"))

    @property
    def input_type(self) -> str:
        return _INPUT_TYPES.get(self.widget, "text")

    @property
    def inputmode(self) -> str | None:
        if self.widget in ("montant", "nombre"):
            return "numeric" if self.integer else "decimal"
        return None

    @property
    def is_group(self) -> bool:
        return self.widget in ("group", "rows", "row")

    @property
    def optional(self) -> bool:
        """Whether the label says « facultatif » (the page says the others are required)."""
        return not self.required and not self.conditional and self.widget not in ("row",)

    @property
    def any_condition(self) -> bool:
        """Whether this field or one within it shows only in some cases (the page then loads
        the script that hides and shows them)."""
        return self.shown_if is not None or any(c.any_condition for c in self.children)

    def errors(self) -> Iterator[Field]:
        """This field and its descendants that carry an error, in the order of the page."""
        if self.error:
            yield self
        for child in self.children:
            yield from child.errors()


# ---------------------------------------------------------------- schema → fields


def _type(schema: Mapping[str, Any]) -> str | None:
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if declared is None and "enum" in schema:
        return "string"
    return declared if isinstance(declared, str) else None


def _order(schema: Mapping[str, Any]) -> list[str]:
    properties = schema.get("properties") or {}
    order = [name for name in schema.get("x-ordre") or [] if name in properties]
    return order + [name for name in properties if name not in order]


def _choices(
    schema: Mapping[str, Any], labels: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    labels = {**(schema.get("x-libelles") or {}), **(labels or {})}
    return [(_text(value), str(labels.get(str(value), value))) for value in schema.get("enum", [])]


def _text(value: Any) -> str:
    """A value as an HTML control shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value).replace(".", ",")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, (dict, list)):
        return ""
    return str(value)


def _widget(schema: Mapping[str, Any], kind: str | None) -> str:
    declared = schema.get("x-widget")
    if kind == "boolean":
        return "checkbox" if schema.get("const") is True or declared == "checkbox" else "ouinon"
    if declared in _WIDGETS:
        return declared
    if "enum" in schema:
        return "radio" if len(schema["enum"]) <= 4 else "select"
    if kind in ("integer", "number"):
        return "nombre"
    if schema.get("format") in ("date", "email"):
        return schema["format"]
    return "text"


def _conditional(schema: Mapping[str, Any]) -> set[str]:
    """Names an `if`/`then` (or `else`) of this object requires in some cases."""
    names: set[str] = set()
    rules = [schema, *(r for r in schema.get("allOf") or [] if isinstance(r, dict))]
    for rule in rules:
        for branch in ("then", "else"):
            part = rule.get(branch)
            if isinstance(part, dict):
                names.update(n for n in part.get("required") or [] if isinstance(n, str))
    return names


def _children(
    schema: Mapping[str, Any],
    value: Any,
    prefix: str,
    parent_label: str,
    extra: int,
    people: Mapping[str, Any],
) -> list[Field]:
    data = value if isinstance(value, Mapping) else {}
    needed = set(schema.get("required") or [])
    sometimes = _conditional(schema)
    properties = schema.get("properties") or {}
    children = []
    for key in _order(schema):
        sub = properties[key]
        if not isinstance(sub, dict):
            continue
        child = _field(prefix + key, sub, data.get(key), key in needed, parent_label, extra, people)
        child.conditional = key in sometimes
        rule = condition(sub)
        if rule is not None and isinstance(properties.get(rule.champ), dict):
            child.shown_if = (prefix + rule.champ, [_text(v) for v in rule.vaut])
            hint = _condition_hint(properties[rule.champ], rule.champ, rule.vaut)
            child.help = f"{hint} {child.help}" if child.help else hint
            child.conditional = child.conditional or key in needed
        children.append(child)
    return children


def _condition_hint(controlling: Mapping[str, Any], name: str, values: tuple[Any, ...]) -> str:
    """« Si « Décision » est « Refus » ou « Renvoi à l'instruction ». », from the controlling
    field's labels: what a person without JavaScript reads to know when to fill it."""
    title = str(controlling.get("title") or name)
    if _type(controlling) == "array":
        items = controlling.get("items") if isinstance(controlling.get("items"), dict) else {}
        labels = dict(_choices(items, controlling.get("x-libelles")))
        verb = "comprend"
    elif _type(controlling) == "boolean":
        labels, verb = {TRUE: "Oui", FALSE: "Non"}, "est"
    else:
        labels, verb = dict(_choices(controlling)), "est"
    shown = " ou ".join(f"« {labels.get(_text(v), _text(v))} »" for v in values)
    return f"Si « {title} » {verb} {shown}."


def _field(
    name: str,
    schema: Mapping[str, Any],
    value: Any,
    required: bool,
    parent_label: str,
    extra: int = EXTRA_ROWS,
    people: Mapping[str, Any] | None = None,
) -> Field:
    people = people or {}
    kind = _type(schema)
    label = str(schema.get("title") or name.rsplit(".", 1)[-1])
    full_label = f"{parent_label} — {label}" if parent_label else label
    common = {
        "name": name, "label": label, "help": schema.get("description"), "required": required,
        "full_label": full_label,
    }  # fmt: skip
    if is_file_field(schema):
        received = dict(value) if isinstance(value, Mapping) else None
        if received and isinstance(received.get("taille"), int):
            received["taille_texte"] = l10n.file_size(received["taille"])
        return Field(widget=FILE_WIDGET, value=received, file=describe_file(name, schema), **common)
    if is_person_field(schema):
        choices = [(login, f"{who} ({login})") for login, who in people.get(schema.get(ROLE), [])]
        return Field(widget=PERSON_WIDGET, value=_text(value), options=choices, **common)
    if kind == "object":
        children = _children(schema, value, name + ".", full_label, extra, people)
        return Field(widget="group", children=children, **common)
    if kind == "array":
        return _array(schema, value, common, extra, people)
    widget = _widget(schema, kind)
    if widget == "checkbox":
        return Field(widget=widget, value=TRUE if value is True else "", **common)
    if widget == "ouinon":
        return Field(
            widget=widget, value=_text(value) if isinstance(value, bool) else "",
            options=[(TRUE, "Oui"), (FALSE, "Non")], **common,
        )  # fmt: skip
    return Field(
        widget=widget, value=_text(value), options=_choices(schema),
        integer=kind == "integer", **common,
    )  # fmt: skip


def _array(
    schema: Mapping[str, Any],
    value: Any,
    common: dict[str, Any],
    extra: int,
    people: Mapping[str, Any],
) -> Field:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    values = value if isinstance(value, list) else []
    if _is_choice_list(schema):
        chosen = [_text(v) for v in values if not isinstance(v, (dict, list))]
        return Field(
            widget="checkboxes", value=chosen,
            options=_choices(items, schema.get("x-libelles")), **common,
        )  # fmt: skip
    name, full_label = common["name"], common["full_label"]
    low = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
    high = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else MAX_ROWS
    count = min(max(len(values) + extra, low, 1), max(high, len(values)), MAX_ROWS)
    item_label = str(items.get("title") or "Ligne")
    inner = min(extra, EXTRA_ROWS)  # rows within rows: the default number of empty ones
    rows = []
    for index in range(count):
        current = values[index] if index < len(values) else None
        row_name = f"{name}.{index}"
        if _type(items) == "object":
            title = f"{item_label} {index + 1}"
            row = _field(
                row_name, {**items, "title": title}, current, False, full_label, inner, people
            )
            row.widget, row.help = "row", None
        else:
            label = f"{common['label']}, n° {index + 1}"
            row = _field(
                row_name, {**items, "title": label}, current, False, full_label, inner, people
            )
            row.help, row.full_label, row.conditional = None, f"{full_label}, n° {index + 1}", True
        rows.append(row)
    return Field(widget="rows", children=rows, **common)


def build_fields(
    schema: Mapping[str, Any],
    data: Mapping[str, Any] | None,
    errors: Mapping[str, str] | None,
    *,
    extra_rows: int = EXTRA_ROWS,
    people: Mapping[str, list[tuple[str, str]]] | None = None,
) -> list[Field]:
    """The fields of a form, showing `data` and each error next to its field.

    `people` (role → (login, name) of its active accounts) gives the choices of person fields.

    Arrays show their rows plus `extra_rows` empty ones (within the schema's `maxItems`; at most
    MAX_EXTRA_ROWS).

    An error whose path names no control (an object that is missing, an item of a checkbox
    group) goes to the nearest field above it; an error about the whole form comes first.
    """
    extra = max(0, min(extra_rows, MAX_EXTRA_ROWS))
    fields = _children(schema, data, "", "", extra, people or {})
    if errors:
        _attach(fields, errors)
    return fields


def _index(fields: list[Field], into: dict[str, Field]) -> dict[str, Field]:
    for item in fields:
        into[item.name] = item
        _index(item.children, into)
    return into


def _attach(fields: list[Field], errors: Mapping[str, str]) -> None:
    by_name = _index(fields, {})
    unplaced = []
    for path, message in errors.items():
        parts = str(path).split(".")
        while parts and ".".join(parts) not in by_name:
            parts.pop()
        if not parts:
            unplaced.append(str(message))
            continue
        target = by_name[".".join(parts)]
        if not target.error:
            target.error = str(message)
    if unplaced:
        fields.insert(
            0,
            Field(
                name=FORM_ERROR,
                label="Formulaire",
                widget="message",
                error=" ".join(unplaced),
                full_label="Formulaire",
            ),
        )


def all_errors(fields: list[Field]) -> list[Field]:
    """The fields in error, in the order of the page (for the summary)."""
    return [found for item in fields for found in item.errors()]


# ---------------------------------------------------------------- post → data


def parse_submission(schema: Mapping[str, Any], form: Any) -> dict[str, Any]:
    """The posted form as JSON data typed per schema; undeclared names are never read.

    Empty inputs are left out (a field left empty is missing, not an empty string), as are
    nested objects and rows whose inputs are all empty. A required list of rows left with every
    row empty is an empty list (« no partner »): the person saw it and left it empty, and the
    form's own rules (`minItems`) say whether that will do. A checkbox group with nothing
    checked is missing (its `required` message applies).
    """
    return _object(schema, form, "") or _empty_lists(schema)


def _is_choice_list(schema: Mapping[str, Any]) -> bool:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    return "enum" in items or schema.get("x-widget") == "checkboxes"


def _empty_lists(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The required lists of rows, empty (a checkbox group left empty stays missing)."""
    properties = schema.get("properties") or {}
    return {
        key: []
        for key in schema.get("required") or []
        if isinstance(sub := properties.get(key), dict)
        and _type(sub) == "array"
        and not _is_choice_list(sub)
    }


def _object(schema: Mapping[str, Any], form: Any, prefix: str) -> dict[str, Any] | None:
    """The object's values, its required lists defaulting to empty ones; None if nothing of it
    was filled in."""
    result: dict[str, Any] = {}
    properties = schema.get("properties") or {}
    for key in _order(schema):
        sub = properties[key]
        if not isinstance(sub, dict):
            continue
        value = _value(sub, form, f"{prefix}{key}")
        if value is not None:
            result[key] = value
    if not result:
        return None
    return {**_empty_lists(schema), **result}


def _value(schema: Mapping[str, Any], form: Any, name: str) -> Any:
    kind = _type(schema)
    if kind == "object":
        return _object(schema, form, name + ".")
    if kind == "array":
        return _list(schema, form, name)
    return _scalar(schema, kind, form.get(name))


def _list(schema: Mapping[str, Any], form: Any, name: str) -> list[Any] | None:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    item_kind = _type(items)
    if _is_choice_list(schema):
        values: list[Any] = []
        for raw in form.getlist(name)[:MAX_ROWS]:
            value = _scalar(items, item_kind, raw)
            if value is not None and value not in values:
                values.append(value)
        return values or None
    prefix = name + "."
    indexes = sorted(
        {
            int(index)
            for key in form
            if key.startswith(prefix) and _INDEX.match(index := key[len(prefix) :].split(".")[0])
        }
    )[:MAX_ROWS]
    rows = [_value(items, form, f"{name}.{index}") for index in indexes]
    kept = [row for row in rows if row is not None]
    return kept or None


def _scalar(schema: Mapping[str, Any], kind: str | None, raw: Any) -> Any:
    if raw is None:
        return None
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    if kind == "boolean":
        lowered = text.lower()
        if lowered in _TRUE_VALUES:
            return True
        if lowered in _FALSE_VALUES:
            return False
        return text
    if kind in ("integer", "number"):
        return _number(text, integer=kind == "integer")
    return text


def _number(text: str, *, integer: bool) -> Any:
    """« 1 500 000 », « 12,5 », « 12.5 » as numbers; anything else stays text (refused later)."""
    compact = _SPACES.sub("", text).replace(",", ".")
    try:
        number = Decimal(compact)
    except InvalidOperation:
        return text
    if not number.is_finite() or len(compact) > 30:
        return text
    if number == number.to_integral_value():
        return int(number)
    if integer:
        return text
    return float(number)


# ---------------------------------------------------------------- service errors → fields


def field_errors(error: InvalidInput) -> dict[str, str]:
    """The service layer's per-field messages keyed by HTML field name (the same dotted path).

    Refusals that name no field (a message about the whole dossier) give an empty mapping: the
    caller shows `error.message`.
    """
    fields = error.details.get("fields")
    if not isinstance(fields, Mapping):
        return {}
    return {str(path) or FORM_ERROR: str(message) for path, message in fields.items()}


def more_rows(posted: Any) -> int:
    """How many empty rows to show after « Ajouter des lignes »: three more than shown."""
    try:
        shown = int(posted.get(ROWS, EXTRA_ROWS))
    except ValueError:
        shown = EXTRA_ROWS
    return min(max(shown, EXTRA_ROWS) + 3, MAX_EXTRA_ROWS)
