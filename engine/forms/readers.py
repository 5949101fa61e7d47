"""Who reads a dossier's data: `"x-lecteurs"` on the forms' fields, `"x-donnees"` for the rest.

```json
{"title": "Sélectionner les lauréats", "properties": {
  "notes_comite": {"title": "Notes de séance", "type": "string",
                   "x-lecteurs": ["comite", "equipe_nationale"]}}}
{"title": "Donner l'avis du préfet", "x-interne": true, "properties": {…}}
{"title": "Candidater", "properties": {…}, "x-donnees": {
  "enveloppe": {"title": "Totaux de l'appel", "x-lecteurs": ["equipe_nationale", "comite"]},
  "recevable": {"title": "Candidature recevable"}}}
```

`x-lecteurs` lists the roles (engine.roles, the lanes' codes) that read a field; without it,
everyone who sees the dossier does. `"x-interne": true` stays the shorthand for the State's
staff (préfet, national team, committee, experts). On a form, the declaration is the default
of its fields (a field's own declaration wins); on a field, it covers what the field holds: a
field of an object or of a list's rows is read by whoever reads the object and the field.

`x-donnees` (in any form of the procedure, the start form by convention) declares, with the
same keys (title, `x-lecteurs`, nested `properties`, `x-libelles`, `x-widget`), the variables
the engine writes and no form asks for: operators' results, decision tables' outputs, scripts'
values. A variable declared nowhere is read by the State's staff only (`UNDECLARED`), but for
those every dossier holds (`SHARED_ENGINE_DATA`).

This module is the rule; engine.service.dossiers.visibility applies it to a viewer (the roles
they hold over the dossier) wherever dossier data is shown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..roles import COLLECTIVITE, COMITE, EQUIPE_NATIONALE, EXPERT, PREFET

READERS = "x-lecteurs"
INTERNAL = "x-interne"
ENGINE_DATA = "x-donnees"
#: Put on each declaration `engine_declarations` gives: a variable the engine writes (the
#: dossier page lists it with the procedure's other information, not among the forms' fields).
ENGINE_MARK = "x-donnee-moteur"

#: The roles a declaration may name, in the order people read them.
READER_ROLES = (COLLECTIVITE, PREFET, EQUIPE_NATIONALE, COMITE, EXPERT)
#: `"x-interne": true`: the State's staff.
STAFF = frozenset({PREFET, EQUIPE_NATIONALE, COMITE, EXPERT})
#: Who reads a variable that no form and no `x-donnees` declares.
UNDECLARED = STAFF
#: What the engine itself writes in every dossier, for everyone who sees it: its département and
#: SIREN, why it ended (an end event's `motif`, a closing's reason), why its grant was reduced.
SHARED_ENGINE_DATA = frozenset({"territoire", "siren", "motif_issue", "motif_reduction"})

#: Who reads: a set of roles, or None for everyone who sees the dossier.
Readers = frozenset[str] | None
#: The roles a viewer holds over a dossier; None for an operator, who reads everything.
Roles = Collection[str] | None


def declares(schema: Any) -> bool:
    """Whether the schema says itself who reads it."""
    return isinstance(schema, Mapping) and (READERS in schema or INTERNAL in schema)


def readers_of(schema: Any) -> Readers:
    """The roles that read this field (its own declaration only); None: no restriction."""
    if not isinstance(schema, Mapping):
        return None
    listed = schema.get(READERS)
    if isinstance(listed, list):
        return frozenset(str(role) for role in listed)
    if schema.get(INTERNAL) is True:
        return STAFF
    return None


def may_read(roles: Roles, schema: Any) -> bool:
    readers = readers_of(schema)
    return roles is None or readers is None or not readers.isdisjoint(roles)


def form_properties(form: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The top-level fields of a form, each carrying the form's declaration unless it has its
    own (so that a field read alone still says who reads it)."""
    properties = {
        name: schema
        for name, schema in (form.get("properties") or {}).items()
        if isinstance(schema, dict)
    }
    default = {key: form[key] for key in (READERS, INTERNAL) if key in form}
    if not default:
        return properties
    return {
        name: schema if declares(schema) else {**schema, **default}
        for name, schema in properties.items()
    }


def engine_declarations(form: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The engine's variables a form declares (`x-donnees`), each marked `ENGINE_MARK`."""
    declared = form.get(ENGINE_DATA)
    if not isinstance(declared, Mapping):
        return {}
    return {
        name: {**schema, ENGINE_MARK: True}
        for name, schema in declared.items()
        if isinstance(schema, dict)
    }


def variable_schema(name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """What `fields` (a version's declarations by name) says of a variable, or the default of a
    variable declared nowhere: everyone's for `SHARED_ENGINE_DATA`, the staff's otherwise."""
    schema = fields.get(name)
    if isinstance(schema, dict):
        return schema
    if name in SHARED_ENGINE_DATA:
        return {}
    return {READERS: sorted(UNDECLARED)}


def readable(value: Any, schema: Mapping[str, Any], roles: Roles) -> Any:
    """`value` without what `schema` restricts below it to other roles (its own declaration
    is the caller's to check)."""
    if roles is None:
        return value
    if isinstance(value, dict):
        properties = schema.get("properties")
        if not isinstance(properties, Mapping):
            return value
        return {
            key: readable(item, properties.get(key) or {}, roles)
            for key, item in value.items()
            if may_read(roles, properties.get(key))
        }
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return value
        return [readable(item, items, roles) for item in value]
    return value


def readable_data(data: Mapping[str, Any], fields: Mapping[str, Any], roles: Roles) -> dict:
    """What holders of `roles` read of a dossier's data (`fields`: the version's declarations
    by name, forms' fields and `x-donnees`)."""
    if roles is None:
        return dict(data)
    found = {}
    for name, value in data.items():
        schema = variable_schema(name, fields)
        if may_read(roles, schema):
            found[name] = readable(value, schema, roles)
    return found


def restricted_inside(schema: Any) -> bool:
    """Whether something below the schema (not the schema itself) declares its readers."""
    if not isinstance(schema, Mapping):
        return False
    below = (
        list((schema.get("properties") or {}).values())
        if isinstance(schema.get("properties"), Mapping)
        else []
    )
    items = schema.get("items")
    if isinstance(items, Mapping):
        below.append(items)
    return any(declares(sub) or restricted_inside(sub) for sub in below)


def readable_changes(
    changes: Mapping[str, Any], fields: Mapping[str, Any], roles: Roles
) -> dict[str, Any]:
    """A history entry's changes ({variable: [before, after]}) as holders of `roles` read them:
    the variables they do not read left out, the parts of the others they do not read removed
    (a value the history shortened into text, that cannot be cut, is left out too)."""
    if roles is None:
        return dict(changes)
    found = {}
    for name, pair in changes.items():
        schema = variable_schema(name, fields)
        if not may_read(roles, schema):
            continue
        values = pair if isinstance(pair, list) else [pair]
        if restricted_inside(schema) and any(isinstance(v, str) for v in values):
            continue
        cut = [readable(value, schema, roles) for value in values]
        found[name] = cut if isinstance(pair, list) else cut[0]
    return found


def hidden_paths(fields: Mapping[str, Any], roles: Roles) -> list[str]:
    """Dotted paths of the fields and objects holders of `roles` do not read (to hide the files
    attached in them; file fields live at the top of a form or in nested objects)."""
    if roles is None:
        return []
    found: list[str] = []

    def walk(properties: Mapping[str, Any], prefix: str) -> None:
        for name, schema in properties.items():
            if not isinstance(schema, Mapping):
                continue
            path = f"{prefix}{name}"
            if not may_read(roles, schema):
                found.append(path)
            elif isinstance(schema.get("properties"), Mapping):
                walk(schema["properties"], f"{path}.")

    walk(fields, "")
    return found


def roles_text(readers: Collection[str]) -> str:
    """« préfet, équipe nationale » : the readers in words, in the usual order."""
    names = {
        COLLECTIVITE: "collectivité", PREFET: "préfet", EQUIPE_NATIONALE: "équipe nationale",
        COMITE: "comité", EXPERT: "experts",
    }  # fmt: skip
    return ", ".join(names[r] for r in READER_ROLES if r in readers)


def check_readers(form: Mapping[str, Any]) -> list[str]:
    """Problems with the declarations of a form, in French: `x-lecteurs` a non-empty list of
    the lanes' role codes, `x-interne` true or false, not both on one field; `x-donnees` an
    object of declarations."""
    problems: list[str] = []
    known = ", ".join(READER_ROLES)

    def check(schema: Mapping[str, Any], where: str) -> None:
        if INTERNAL in schema and not isinstance(schema[INTERNAL], bool):
            problems.append(f"« x-interne » {where} : true ou false attendu")
        if READERS not in schema:
            return
        listed = schema[READERS]
        if INTERNAL in schema:
            problems.append(
                f"{where} : « x-interne » et « x-lecteurs » ensemble ; gardez « x-lecteurs » "
                "(« x-interne » vaut les quatre rôles de l'État)"
            )
        if not isinstance(listed, list) or not listed:
            problems.append(
                f"« x-lecteurs » {where} : une liste d'au moins un rôle attendue ({known})"
            )
            return
        for role in listed:
            if role not in READER_ROLES:
                problems.append(
                    f"« x-lecteurs » {where} : rôle inconnu « {role} » (rôles possibles : {known})"
                )
        if len(set(map(str, listed))) != len(listed):
            problems.append(f"« x-lecteurs » {where} : un rôle y est cité deux fois")

    def walk(properties: Any, prefix: str, kind: str) -> None:
        if not isinstance(properties, Mapping):
            return
        for name, schema in properties.items():
            if not isinstance(schema, Mapping):
                continue
            check(schema, f"de « {prefix}{name} »" if not kind else f"de {kind} « {prefix}{name} »")
            walk(schema.get("properties"), f"{prefix}{name}.", kind)
            items = schema.get("items")
            if isinstance(items, Mapping):
                walk(items.get("properties"), f"{prefix}{name}.", kind)

    check(form, "du formulaire")
    walk(form.get("properties"), "", "")
    if ENGINE_DATA in form:
        declared = form[ENGINE_DATA]
        if not isinstance(declared, Mapping) or any(
            not isinstance(schema, Mapping) for schema in declared.values()
        ):
            problems.append(
                "« x-donnees » : un objet attendu, une déclaration (objet) par variable du moteur"
            )
        else:
            clash = sorted(set(declared) & set(form.get("properties") or {}))
            if clash:
                problems.append(
                    f"« x-donnees » déclare {', '.join(f'« {n} »' for n in clash)}, déjà "
                    "champ du formulaire : déclarez ses lecteurs sur le champ"
                )
            walk(declared, "", "la donnée")
    return problems
