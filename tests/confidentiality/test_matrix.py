"""Issue 16: every field of every form of the four procedures, for each of the five roles.

One dossier of each procedure runs to its end (tests/confidentiality/drive.py: every free-text
field holds a marker). The fields are enumerated from the deployed version (its forms and the
engine's variables they declare, `x-donnees`), at any depth; then one person of each role reads
the dossier: its page (each line says its field: `data-champ`), the page of each task they do
(read just before doing it), the search's CSV export, their notifications and e-mails. A field
is shown iff one of the person's roles over the dossier is among the field's readers (and they
see the dossier at all); a field's text never reaches anyone who does not read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from engine import service
from engine.forms import readers
from engine.forms.amounts import amount_fields
from engine.roles import COLLECTIVITE, COMITE, EQUIPE_NATIONALE, EXPERT, PREFET
from engine.service import notifications
from engine.service.dossiers import visibility
from engine.store.models import OutboxMessage
from tests.confidentiality.conftest import csv_rows
from tests.confidentiality.drive import PROCEDURES, VARIANTS, details, drive, free_text
from tests.web.pages import seen

ROLES = (COLLECTIVITE, PREFET, EQUIPE_NATIONALE, COMITE, EXPERT)
CHAMP = re.compile(r'data-champ="([^"]+)"')


@dataclass(frozen=True)
class Leaf:
    """A field at any depth (`actions.intitule`: a field of a list's rows), with the
    declarations along its path and the values the dossier holds there."""

    path: str
    chain: tuple[Mapping[str, Any], ...]
    values: tuple[Any, ...]

    def read_by(self, roles: set[str]) -> bool:
        return all(readers.may_read(roles, schema) for schema in self.chain)

    @property
    def texts(self) -> list[str]:
        """The values a person would recognise anywhere they appear: free texts."""
        schema = self.chain[-1]
        if not free_text(schema):
            return []
        return [v for v in self.values if isinstance(v, str) and len(v.strip()) >= 12]


def leaves(fields: Mapping[str, Any], data: Mapping[str, Any]) -> Iterator[Leaf]:
    """Every declared field and the dossier's values in it (rows of lists followed)."""

    def walk(path: str, chain: tuple, values: list) -> Iterator[Leaf]:
        schema = chain[-1]
        held = [v for v in values if v not in (None, "", [], {})]
        yield Leaf(path, chain, tuple(held))
        rows = schema.get("items") if isinstance(schema.get("items"), Mapping) else None
        properties = (rows or schema).get("properties")
        if not isinstance(properties, Mapping):
            return
        inner = [r for v in held for r in (v if rows is not None and isinstance(v, list) else [v])]
        for key, sub in properties.items():
            if isinstance(sub, Mapping):
                subs = [v.get(key) for v in inner if isinstance(v, Mapping)]
                step = (rows,) if rows is not None else ()
                yield from walk(f"{path}.{key}", (*chain, *step, sub), subs)

    for name in fields:
        yield from walk(name, (readers.variable_schema(name, fields),), [data.get(name)])
    for name in data:
        if name not in fields:  # an engine variable declared nowhere
            yield Leaf(name, (readers.variable_schema(name, fields),), (data[name],))


def holder(people: dict[str, service.Viewer], role: str, dossier) -> service.Viewer:
    """The person of this role whose grant reaches the dossier (the expert: the one person)."""
    for viewer in people.values():
        grant = viewer.grants[0]
        if grant.role == role and (
            role == EXPERT or grant.covers(dossier.territory, dossier.siren)
        ):
            return viewer
    raise AssertionError(f"personne du rôle {role}")


def told(services: service.Services, login: str) -> str:
    """Every notification and e-mail the person got, as one text."""
    viewer = service.Viewer(login)
    notes = notifications.list_notifications(services, viewer, limit=1000)
    with services.read() as connection:
        mails = connection.execute(
            select(OutboxMessage.subject, OutboxMessage.body).where(OutboxMessage.login == login)
        ).all()
    return "\n".join([*(f"{n['subject']}\n{n['body']}" for n in notes),
                      *(f"{m.subject}\n{m.body}" for m in mails)])  # fmt: skip


def check_page(html: str, text: str, found: list[Leaf], roles: set[str], where: str) -> int:
    """The page shows exactly the fields these roles read; returns how many were checked."""
    shown = set(CHAMP.findall(html))
    readable = {t for leaf in found if leaf.read_by(roles) for t in leaf.texts}
    checked = 0
    for leaf in found:
        if not leaf.values:
            continue
        expected = leaf.read_by(roles)
        assert (leaf.path in shown) == expected, f"{where} : « {leaf.path} » ({roles})"
        for value in leaf.texts:
            words = " ".join(value.split())
            if expected:
                assert words in text, f"{where} : la valeur de « {leaf.path} » manque"
            elif value not in readable:
                assert words not in text, f"{where} : la valeur de « {leaf.path} » paraît"
        checked += 1
    return checked


@pytest.mark.parametrize("process_id", sorted(PROCEDURES))
def test_every_field_is_read_by_its_readers_only(
    process_id, deploy, services, people, clock, client_for
):
    procedure = PROCEDURES[process_id]
    procedure.setup(deploy, services, clock)
    # The calls for applications close: every dossier is filed first, then each one is driven.
    references = [procedure.file(services, people) for _ in VARIANTS[process_id]]
    task_pages: list[tuple[str, str, dict]] = []
    logins = {p.login for p in people.values()}
    for reference, choices in zip(references, VARIANTS[process_id], strict=True):

        def read_task_page(viewer: service.Viewer, task: dict, reference=reference) -> None:
            if viewer.login in logins:
                answer = client_for(viewer.login).get(f"/taches/{task['id']}")
                assert answer.status_code == 200, (viewer.login, task["bpmn_id"])
                data = details(services, reference).data
                task_pages.append((viewer.login, answer.get_data(as_text=True), data))

        drive(procedure, services, people, clock, reference, choices=choices,
              before_task=read_task_page)  # fmt: skip

    held_anywhere: set[str] = set()
    every_field: set[str] = set()
    checked = 0
    for reference in references:
        dossier = details(services, reference)
        assert dossier.status == "terminee", reference
        fields = visibility.form_fields(services, dossier.version_id)
        found = list(leaves(fields, dossier.data))
        every_field |= {leaf.path for leaf in found if leaf.path.split(".")[0] in fields}
        held = [leaf for leaf in found if leaf.values]
        held_anywhere |= {leaf.path for leaf in held}
        entered = visibility.entered_fields(services, dossier.version_id)
        amounts = amount_fields(entered)
        for role in ROLES:
            viewer = holder(people, role, dossier)
            roles = {role}
            answer = client_for(viewer.login).get(f"/dossiers/{reference}")
            sees = role != EXPERT or _expert_had_a_mission(dossier)
            assert answer.status_code == (200 if sees else 404), (reference, role)
            if sees:
                checked += check_page(
                    answer.get_data(as_text=True), seen(answer, ""), found, roles,
                    f"{reference}, {role}, page du dossier",
                )  # fmt: skip
            hidden = [t for leaf in held if not (sees and leaf.read_by(roles)) for t in leaf.texts]

            export = client_for(viewer.login).get(f"/dossiers/export.csv?reference={reference}")
            if role == COLLECTIVITE:
                assert export.status_code == 403, "the export is the staff's"
            else:
                rows = [r for r in csv_rows(export) if r["Référence"] == reference]
                assert len(rows) == (1 if sees else 0), (reference, role)
                for row, column in ((row, c) for row in rows for c in amounts):
                    if column.value(dossier.data) is not None:
                        leaf = next(x for x in found if x.path == _path(column))
                        assert bool(row[column.title]) == leaf.read_by(roles), (role, column.title)
                text = export.get_data(as_text=True)
                assert not [t for t in hidden if t in text], f"{reference}, {role}, export"

            messages = " ".join(told(services, viewer.login).split())
            leaked = [t for t in hidden if " ".join(t.split()) in messages]
            assert not leaked, f"{reference}, {role}, notifications et courriels : {leaked}"

    for login, html, data in task_pages:
        if "data-champ" not in html:
            continue  # a co-signatory's task on a dossier they do not see
        viewer = next(p for p in people.values() if p.login == login)
        dossier = details(services, references[0])
        entered = visibility.entered_fields(services, dossier.version_id)
        # A task page shows what the forms ask (not the engine's variables).
        page_leaves = [x for x in leaves(entered, data) if x.path.split(".")[0] in entered]
        text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
        roles = {viewer.grants[0].role}
        checked += check_page(html, text, page_leaves, roles, f"{login}, page de tâche")

    assert checked > 100
    missing = every_field - held_anywhere
    assert len(missing) <= len(every_field) // 5, f"champs jamais remplis : {sorted(missing)}"


def _expert_had_a_mission(dossier) -> bool:
    return any(e["actor"] == "expert.cerema" for e in dossier.history)


def _path(column) -> str:
    return f"{column.name}.{column.row_field}" if column.row_field else column.name
