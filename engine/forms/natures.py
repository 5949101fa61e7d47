"""The applicant's nature read from its SIREN, not taken on trust (`x-nature-depuis`).

A form asks what kind of organisation applies (commune, EPCI, département, région, syndicat
mixte, association...) because eligibility depends on it. Official data knows the answer for
most public applicants (engine/territory.py `identify`): a commune's SIREN is a commune's, an
EPCI's an EPCI's. Declared on the nature field:

```json
"type_collectivite": {"type": "string", "enum": ["commune", "epci", ...],
                      "x-nature-depuis": "dossier"}
"nature": {"type": "string", "enum": [...], "x-nature-depuis": "siren"}
```

`dossier` reads the SIREN of the organisation the dossier is filed for; any other value names
a field of the same object (or of the same line of a list) holding a SIREN or a SIRET. When the
data knows the organisation, the nature is filled in if the person left it empty, and a nature
that contradicts the data is refused with a message saying what the SIREN really is. When the
data does not know it (a syndicat mixte, an association), the declared nature stands: a genuine
applicant is never refused on a guess.

`"x-siren-du-dossier": true` on a SIREN or SIRET field: the number must be that of the
dossier's organisation (an association's SIRET, whose first nine digits are its SIREN).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from ..territory import Identity, Territories

NATURE_KEY = "x-nature-depuis"
DOSSIER = "dossier"
OWN_SIREN_KEY = "x-siren-du-dossier"
_NUMBER_FORMATS = ("siren", "siret")


@dataclass(frozen=True)
class DossierOrganisation:
    """The official data, and the SIREN of the organisation a dossier is filed for (None
    while it is not known: then `dossier` natures are left as declared)."""

    territories: Territories
    siren: str | None = None


def uses_organisation(form: Mapping[str, Any]) -> bool:
    """Whether the form declares a nature or a SIREN read against the dossier's organisation."""
    return any(
        NATURE_KEY in schema or OWN_SIREN_KEY in schema for _, schema, _ in _fields(form, None)
    )


def _fields(
    schema: Mapping[str, Any], data: Any, path: str = ""
) -> Iterator[tuple[str, Mapping[str, Any], Any]]:
    """(dotted path, field schema, the object holding it) for each field, through objects and
    the lines of lists (each line with its own data; `data` None: the schema alone)."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    holder = data if isinstance(data, dict) else None
    for name, field in properties.items():
        if not isinstance(field, Mapping):
            continue
        where = f"{path}{name}"
        yield where, field, holder
        value = holder.get(name) if holder is not None else None
        if field.get("type") == "object":
            yield from _fields(field, value, where + ".")
        items = field.get("items")
        if field.get("type") == "array" and isinstance(items, Mapping):
            if data is None:
                yield from _fields(items, None, where + ".*.")
            elif isinstance(value, list):
                for index, line in enumerate(value):
                    yield from _fields(items, line, f"{where}.{index}.")


def _siren(value: Any, fmt: str | None) -> str | None:
    """The SIREN in a SIREN or SIRET value, if it is a valid one."""
    if not isinstance(value, str):
        return None
    if fmt == "siret":
        return value[:9] if stdnum_siret.is_valid(value) else None
    return value if stdnum_siren.is_valid(value) else None


def _label(field: Mapping[str, Any], value: str) -> str:
    return str((field.get("x-libelles") or {}).get(value, value))


def _source(
    field: Mapping[str, Any], holder: Mapping[str, Any], siblings: Mapping[str, Any],
    organisation: DossierOrganisation,
) -> tuple[str | None, str]:  # fmt: skip
    """The SIREN the nature is read from, and how the message names it."""
    source = field[NATURE_KEY]
    if source == DOSSIER:
        return organisation.siren, "de votre organisation"
    sibling = siblings.get(source)
    fmt = sibling.get("format") if isinstance(sibling, Mapping) else None
    return _siren(holder.get(source), fmt), ""


def _contradiction(siren: str, whose: str, identity: Identity, field: Mapping[str, Any],
                   declared: str | None) -> str:  # fmt: skip
    offered = [n for n in field.get("enum", []) if n in identity.natures]
    said = f"Le SIREN {whose} ({siren})" if whose else f"Le SIREN {siren}"
    said += f" est celui {identity.of}"
    if not offered:
        return f"{said} : ce formulaire n'est pas ouvert à cette nature d'organisation."
    choices = " ou ".join(f"« {_label(field, n)} »" for n in offered)
    instead = f" (et non « {_label(field, declared)} »)" if declared else ""
    return f"{said} : choisissez {choices}{instead}."


def apply_natures(
    form: Mapping[str, Any], data: dict[str, Any], organisation: DossierOrganisation
) -> tuple[dict[str, Any], dict[str, str]]:
    """The data with each nature the official data knows filled in, and field → message for
    a nature that contradicts it or a number that is not the dossier's organisation's."""
    data = _copy(data)
    errors: dict[str, str] = {}
    for path, field, holder in list(_fields(form, data)):
        if holder is None:
            continue
        name = path.rsplit(".", 1)[-1]
        if field.get(OWN_SIREN_KEY) is True and organisation.siren:
            given = _siren(holder.get(name), field.get("format"))
            if given is not None and given != organisation.siren:
                what = "SIRET" if field.get("format") == "siret" else "SIREN"
                errors[path] = (
                    f"Ce {what} n'est pas celui de l'organisation du dossier (SIREN "
                    f"{organisation.siren}) : indiquez le {what} de votre propre structure."
                )
        if not isinstance(field.get(NATURE_KEY), str):
            continue
        parent = _parent(form, path)
        siren, whose = _source(field, holder, parent, organisation)
        identity = organisation.territories.identify(siren) if siren else None
        if identity is None:
            continue
        declared = holder.get(name)
        if declared in (None, ""):
            if identity.nature in field.get("enum", [identity.nature]):
                holder[name] = identity.nature
                continue
            declared = None
        elif declared in identity.natures:
            continue
        errors[path] = _contradiction(siren or "", whose, identity, field, declared)
    return data, errors


def prefilled_natures(
    form: Mapping[str, Any], organisation: DossierOrganisation, data: Mapping[str, Any]
) -> dict[str, str]:
    """The top-level natures the official data knows, read from the dossier's SIREN or from
    the SIREN already in `data`, to show them on a new form."""
    found: dict[str, str] = {}
    properties = form.get("properties") or {}
    for name, field in properties.items():
        if not isinstance(field, Mapping) or not isinstance(field.get(NATURE_KEY), str):
            continue
        siren, _ = _source(field, data, properties, organisation)
        identity = organisation.territories.identify(siren) if siren else None
        if identity is not None and identity.nature in field.get("enum", [identity.nature]):
            found[name] = identity.nature
    return found


def _parent(form: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The `properties` of the object that holds the field at `path`."""
    schema: Any = form
    for part in path.split(".")[:-1]:
        schema = schema.get("items", {}) if part.isdigit() else schema["properties"][part]
    return schema.get("properties", {})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def check_natures(form: Mapping[str, Any]) -> list[str]:
    """Problems of the form's `x-nature-depuis` and `x-siren-du-dossier`, in French, for the
    deployment to refuse it."""
    problems = []
    for path, field, _ in _fields(form, None):
        if OWN_SIREN_KEY in field and (
            field[OWN_SIREN_KEY] is not True or field.get("format") not in _NUMBER_FORMATS
        ):
            problems.append(
                f"« {path} » : « {OWN_SIREN_KEY} » vaut true, sur un champ de format siren ou siret"
            )
        if NATURE_KEY not in field:
            continue
        source = field[NATURE_KEY]
        if field.get("type") != "string" or not isinstance(field.get("enum"), list):
            problems.append(f"« {path} » : « {NATURE_KEY} » se place sur une liste de natures")
        if not isinstance(source, str) or not source:
            problems.append(f"« {path} » : « {NATURE_KEY} » vaut « dossier » ou un nom de champ")
            continue
        if source == DOSSIER:
            continue
        sibling = _parent(form, path.replace("*", "0")).get(source)
        if not isinstance(sibling, Mapping) or sibling.get("format") not in _NUMBER_FORMATS:
            problems.append(
                f"« {path} » : « {NATURE_KEY} » nomme « {source} », qui doit être un champ "
                "voisin de format siren ou siret"
            )
    return problems
