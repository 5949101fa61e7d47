"""The `anct` command, from a clean database to a completed instance."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine import service
from tests.conftest import FIXTURES


def test_from_clean_database_to_completed_instance(anct):
    deployed = anct("deploy", str(FIXTURES / "approbation.bpmn"))
    assert deployed.stdout.strip() == "approbation  version 1  nouvelle version"
    assert (
        anct("deploy", str(FIXTURES / "approbation.bpmn")).stdout.strip()
        == "approbation  version 1  inchangée"
    )

    started = anct(
        "start",
        "approbation",
        "--territory",
        "23",
        "--siren",
        "212309603",
        "--data",
        '{"objet": "Voirie"}',
    )
    reference = started.stdout.strip().splitlines()[-1]
    assert reference == "APP-23-2026-00001" or reference.startswith("APP-23-")

    [task] = json.loads(anct("tasks", "--json").stdout)
    assert {k: task[k] for k in ("instance", "bpmn_id", "name", "role", "territory", "assignee")} == {
        "instance": reference, "bpmn_id": "saisir_demande", "name": "Saisir la demande",
        "role": "collectivite", "territory": "23", "assignee": None,
    }  # fmt: skip
    assert task["id"] and task["due_at"]
    anct("complete", task["id"], "--data", '{"montant": 50000}', "--user", "alice")

    [task] = json.loads(anct("tasks", "--role", "prefet", "--territory", "23", "--json").stdout)
    assert json.loads(anct("tasks", "--role", "prefet", "--territory", "08", "--json").stdout) == []
    assert "donner_avis" in anct("tasks").stdout
    anct("complete", task["id"], "--data", '{"avis": "favorable"}', "--user", "bruno")

    shown = json.loads(anct("show", reference, "--json").stdout)
    assert (shown["status"], shown["outcome"], shown["tasks"]) == ("terminee", "acceptee", [])
    assert shown["data"]["avis"] == "favorable"
    assert [e["actor"] for e in shown["history"] if e["kind"] == "tache_terminee"] == [
        "alice",
        "bruno",
    ]
    text = anct("show", reference).stdout
    assert "Statut : Terminé, issue : Acceptee" in text


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["start", "inconnue", "--territory", "23", "--siren", "212309603"],
            3,
            "Procédure inconnue",
        ),
        (
            ["start", "approbation", "--territory", "99", "--siren", "212309603"],
            1,
            "département inconnu",
        ),
        (
            ["start", "approbation", "--territory", "23", "--siren", "212300017"],
            1,
            "SIREN invalide",
        ),
        (
            [
                "start",
                "approbation",
                "--territory",
                "23",
                "--siren",
                "212309603",
                "--data",
                "{oups",
            ],
            1,
            "JSON valide",
        ),
        (["complete", "pas-une-tache", "--data", "{}"], 3, "Tâche introuvable"),
        (["show", "APP-23-2026-99999"], 3, "Dossier introuvable"),
    ],
)
def test_errors_are_one_french_line_without_traceback(anct, args, code, message):
    anct("deploy", str(FIXTURES / "approbation.bpmn"))
    result = anct(*args, code=code)
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_invalid_bpmn_names_file_and_line(anct, tmp_path):
    bad = tmp_path / "casse.bpmn"
    bad.write_text(
        '<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n<oups>\n</bpmn:definitions>\n'
    )
    result = anct("deploy", str(bad), code=1)
    assert result.stderr.startswith("Erreur : casse.bpmn:4 : XML mal formé")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_console_script_is_installed(database_url, tmp_path):
    """The real `anct` executable, as other tools script it."""
    executable = Path(sys.executable).with_name("anct")
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [str(executable), "deploy", str(FIXTURES / "parallele.bpmn")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "signatures  version 1  nouvelle version" in result.stdout
    result = subprocess.run(
        [str(executable), "start", "signatures", "--territory", "23", "--siren", "212309603"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1].startswith("SIG-23-")


def test_campaigns_from_the_command_line(anct):
    anct(
        "campaign", "create", "fabriques-2026", "--process", "fabriques_territoire",
        "--name", "Fabriques de territoire 2026", "--opens", "2026-03-01", "--closes",
        "2026-04-30T18:00", "--envelope", "45000000", "--max-laureates", "300",
    )  # fmt: skip
    shown = json.loads(anct("campaign", "show", "fabriques-2026", "--json").stdout)
    assert shown["envelope"] == "45000000" and shown["max_laureates"] == 300
    assert shown["closes_at"] == "2026-04-30T16:00:00+00:00"
    again = ["--process", "x", "--name", "x", "--opens", "2026-03-01", "--closes", "2026-04-01"]
    assert (
        "déjà"
        in anct("campaign", "create", "fabriques-2026", *again, "--envelope", "1", code=4).stderr
    )
    bad = ["--process", "x", "--name", "x", "--opens", "demain", "--closes", "2026-04-01"]
    assert (
        "date invalide" in anct("campaign", "create", "x", *bad, "--envelope", "1", code=1).stderr
    )


def test_timers_fire_due_at_a_given_moment(anct):
    anct("users", "create", "marie", "--role", "collectivite", "--scope", "212309603")
    anct("deploy", str(FIXTURES / "relance.bpmn"))
    data = '{"date_limite": "2026-12-31", "referent": "marie"}'
    reference = anct(
        "start", "relance", "--territory", "23", "--siren", "212309603", "--data", data
    ).stdout.split()[-1]
    due = json.loads(anct("show", reference, "--json").stdout)["timers"][0]["due_at"]
    moment = datetime.fromisoformat(due).astimezone(ZoneInfo("Europe/Paris"))
    before = (moment - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    after = (moment + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    assert anct("timers", "fire-due", "--now", before).stdout.strip() == (
        "0 minuterie échue : 0 dossier avancé, 0 échec."
    )
    assert anct("timers", "fire-due", "--now", after).stdout.strip() == (
        "1 minuterie échue : 1 dossier avancé, 0 échec."
    )
    shown = json.loads(anct("show", reference, "--json").stdout)
    assert shown["data"]["relances"] == 1


def test_timers_fire_due_counts_a_failed_step_as_a_failure(anct, tmp_path):
    """Issue 12 (9): a step that fails is not « 1 dossier(s) avancé(s) »; it is named as a
    failure and the command exits non-zero."""
    failing = tmp_path / "relance.bpmn"
    original = (FIXTURES / "relance.bpmn").read_text(encoding="utf-8")
    failing.write_text(
        original.replace("relances = 1</bpmn:script>", "relances = 1 / 0</bpmn:script>"),
        encoding="utf-8",
    )
    anct("users", "create", "marie", "--role", "collectivite", "--scope", "212309603")
    anct("deploy", str(failing))
    data = '{"date_limite": "2026-12-31", "referent": "marie"}'
    reference = anct(
        "start", "relance", "--territory", "23", "--siren", "212309603", "--data", data
    ).stdout.split()[-1]
    due = json.loads(anct("show", reference, "--json").stdout)["timers"][0]["due_at"]
    moment = datetime.fromisoformat(due).astimezone(ZoneInfo("Europe/Paris"))
    after = (moment + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    result = anct("timers", "fire-due", "--now", after, code=1)
    assert result.stdout.strip() == (
        f"1 minuterie échue : 0 dossier avancé, 1 échec : {reference} (nouvel essai prévu)."
    )
    assert "relances" not in json.loads(anct("show", reference, "--json").stdout)["data"]


def test_timers_fire_due_names_the_step_that_became_an_incident(anct, tmp_path):
    """Issue 12 (9): each failed attempt is a failure with a retry planned; the last one, an
    incident; never « dossier avancé »."""
    failing = tmp_path / "relance.bpmn"
    original = (FIXTURES / "relance.bpmn").read_text(encoding="utf-8")
    failing.write_text(
        original.replace("relances = 1</bpmn:script>", "relances = 1 / 0</bpmn:script>"),
        encoding="utf-8",
    )
    anct("users", "create", "marie", "--role", "collectivite", "--scope", "212309603")
    anct("deploy", str(failing))
    data = '{"date_limite": "2026-12-31", "referent": "marie"}'
    reference = anct(
        "start", "relance", "--territory", "23", "--siren", "212309603", "--data", data
    ).stdout.split()[-1]
    due = json.loads(anct("show", reference, "--json").stdout)["timers"][0]["due_at"]
    moment = datetime.fromisoformat(due).astimezone(ZoneInfo("Europe/Paris"))
    said = []
    for hours in range(1, 8):
        now = (moment + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")
        said.append(anct("timers", "fire-due", "--now", now, code=None).stdout.strip())
        if "incident" in said[-1]:
            break
    retried = f"1 minuterie échue : 0 dossier avancé, 1 échec : {reference} (nouvel essai prévu)."
    assert said[:-1] and set(said[:-1]) == {retried}
    assert said[-1] == f"1 minuterie échue : 0 dossier avancé, 1 échec : {reference} (incident)."


def served(anct, monkeypatch, *args: str) -> dict:
    """`anct serve …` without serving: what it would serve, and what its timers would use."""
    import werkzeug.serving

    import engine.scheduler.worker

    seen: dict = {}
    monkeypatch.setattr(engine.scheduler.worker, "start_in_background",
                        lambda context: seen.setdefault("timers", context))  # fmt: skip
    monkeypatch.setattr(
        werkzeug.serving, "run_simple",
        lambda host, port, app, **options: seen.update(app=app, host=host, port=port),
    )  # fmt: skip
    seen["output"] = anct("serve", "--no-deploy", *args).stdout
    return seen


def test_links_in_notifications_and_e_mails_point_where_the_application_is_served(
    anct, monkeypatch, tmp_path
):
    """Issue 12 (4): served on port 5101, the links of e-mails and notifications (sent from a
    request or from the timers) point to port 5101, not to 5000; ANCT_BASE_URL wins."""
    monkeypatch.setenv("ANCT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("ANCT_BASE_URL", raising=False)
    anct(
        "users", "create", "marie", "--name", "Marie Dupont", "--email", "marie@gueret.fr",
        "--role", "collectivite", "--scope", "212309603",
    )  # fmt: skip
    anct("deploy", str(FIXTURES / "relance.bpmn"))
    seen = served(anct, monkeypatch, "--port", "5101")
    context = seen["app"].extensions["anct"]
    assert seen["timers"] is context, "the timers of `anct serve` share the served address"
    assert "liens des courriels vers http://127.0.0.1:5101" in seen["output"]
    reference = service.start(
        context, "relance", territory="23", siren="212309603",
        data={"date_limite": "2026-12-31", "referent": "marie"},
    ).reference  # fmt: skip
    (notice,) = json.loads(anct("notifications", "marie", "--json").stdout)
    assert notice["dossier"] == reference
    assert notice["link"] == f"http://127.0.0.1:5101/taches/{notice['task_id']}"
    assert anct("mail", "send").stdout.strip() == "1 courriel(s) envoyé(s)."
    (written,) = (tmp_path / "instance" / "courriels").glob("*.eml")
    body = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    text = body.get_body(preferencelist=("plain",)).get_content()
    assert "http://127.0.0.1:5101/" in text and ":5000" not in text

    monkeypatch.setenv("ANCT_BASE_URL", "https://anct.example.fr")
    again = served(anct, monkeypatch, "--port", "5101")
    assert again["app"].extensions["anct"].base_url == "https://anct.example.fr"


@pytest.mark.parametrize(
    ("host", "port", "address"),
    [
        ("127.0.0.1", 5101, "http://127.0.0.1:5101"),
        ("localhost", 8000, "http://localhost:8000"),
        ("::1", 5101, "http://[::1]:5101"),
    ],
)
def test_the_served_address_is_the_host_and_port_given_to_serve(host, port, address):
    """Issue 12 (4): links name the port the application is served on, never 5000 by default."""
    from cli.main import served_address

    assert served_address(host, port) == address


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_served_on_every_interface_links_use_the_machines_name(host, monkeypatch):
    """0.0.0.0 is where the server listens, not an address a reader of an e-mail can open."""
    import cli.main

    monkeypatch.setattr(cli.main.socket, "getfqdn", lambda: "anct.prefecture.local")
    assert cli.main.served_address(host, 5101) == "http://anct.prefecture.local:5101"


def test_anct_base_url_wins_over_the_served_address_in_the_links(anct, monkeypatch, tmp_path):
    """Issue 12 (4): behind a proxy the public address is ANCT_BASE_URL, whatever the port."""
    monkeypatch.setenv("ANCT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("ANCT_BASE_URL", "https://anct.example.fr")
    anct(
        "users", "create", "marie", "--name", "Marie Dupont", "--email", "marie@gueret.fr",
        "--role", "collectivite", "--scope", "212309603",
    )  # fmt: skip
    anct("deploy", str(FIXTURES / "relance.bpmn"))
    seen = served(anct, monkeypatch, "--port", "5101")
    assert "liens des courriels vers https://anct.example.fr" in seen["output"]
    service.start(
        seen["app"].extensions["anct"], "relance", territory="23", siren="212309603",
        data={"date_limite": "2026-12-31", "referent": "marie"},
    )  # fmt: skip
    (notice,) = json.loads(anct("notifications", "marie", "--json").stdout)
    assert notice["link"] == f"https://anct.example.fr/taches/{notice['task_id']}"
    anct("mail", "send")
    (written,) = (tmp_path / "instance" / "courriels").glob("*.eml")
    body = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    text = body.get_body(preferencelist=("plain",)).get_content()
    assert "https://anct.example.fr/" in text and ":5101" not in text


def test_users_notifications_and_mail_from_the_command_line(anct, monkeypatch, tmp_path):
    monkeypatch.setenv("ANCT_INSTANCE_PATH", str(tmp_path / "instance"))
    created = anct(
        "users", "create", "marie", "--name", "Marie Dupont", "--email", "marie@gueret.fr",
        "--role", "collectivite", "--scope", "212 309 603", "--role", "comite",
        "--password", "un mot de passe sûr",
    )  # fmt: skip
    assert created.stdout.strip() == (
        "Utilisateur marie créé : collectivite (212309603), comite (national)."
    )
    refused = [
        (["users", "create", "marie", "--role", "comite"], "existe déjà"),
        (["users", "create", "paul", "--role", "prefet"], "département"),
        (["users", "create", "paul", "--role", "prefet", "--scope", "99"], "99"),
        (["users", "create", "paul", "--role", "maire"], "Rôle inconnu"),
        (["users", "create", "paul", "--role", "comite", "--password", "court"], "10 caractères"),
        (["users", "create", "Paul Martin", "--role", "comite"], "Identifiant invalide"),
    ]
    for args, message in refused:
        result = anct(*args, code=4 if message == "existe déjà" else 1)
        assert message in result.stderr and "Traceback" not in result.stderr, args

    anct("deploy", str(FIXTURES / "relance.bpmn"))
    data = '{"date_limite": "2026-12-31", "referent": "marie"}'
    reference = anct(
        "start", "relance", "--territory", "23", "--siren", "212309603", "--data", data
    ).stdout.split()[-1]
    listed = anct("notifications", "marie").stdout.splitlines()
    assert listed[0] == "1 non lue(s)."
    assert f"Nouvelle tâche : Répondre à la demande de compléments ({reference})" in listed[1]
    (notice,) = json.loads(anct("notifications", "marie", "--json").stdout)
    assert notice["dossier"] == reference and notice["link"].endswith(
        f"/taches/{notice['task_id']}"
    )

    # Without an SMTP server, the e-mail lands in the instance folder, whole.
    assert anct("mail", "send").stdout.strip() == "1 courriel(s) envoyé(s)."
    (written,) = (tmp_path / "instance" / "courriels").glob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"] == "marie@gueret.fr"
    assert reference in message["Subject"]
    assert anct("mail", "send").stdout.strip() == "0 courriel(s) envoyé(s)."
    assert anct("incidents").stdout.strip() == "Aucun incident."
    assert json.loads(anct("incidents", "--json").stdout) == {
        "minuteries": [], "dossiers": [], "courriels": [],
    }  # fmt: skip


def test_deploying_an_earlier_content_brings_that_version_back(anct, tmp_path):
    path = tmp_path / "approbation.bpmn"
    original = (FIXTURES / "approbation.bpmn").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    anct("deploy", str(path))
    path.write_text(original.replace("montant &gt; 10000", "montant &gt; 20000"), "utf-8")
    assert anct("deploy", str(path)).stdout.strip() == "approbation  version 2  nouvelle version"

    path.write_text(original, encoding="utf-8")
    assert anct("deploy", str(path)).stdout.strip() == (
        "approbation  version 1  rétablie : les nouveaux dossiers y démarrent"
    )
    anct("start", "approbation", "--territory", "23", "--siren", "212309603")
    [started] = json.loads(anct("tasks", "--json").stdout)
    assert json.loads(anct("show", started["instance"], "--json").stdout)["version"] == 1
    assert anct("deploy", str(path)).stdout.strip() == "approbation  version 1  inchangée"
    assert anct("processes", "list").stdout.strip() == (
        "approbation  version 1 (dernière : 2)  en service  1 dossier(s) en cours"
    )


def test_a_retired_process_takes_no_new_dossier_and_its_running_ones_go_on(anct):
    anct("deploy", str(FIXTURES / "approbation.bpmn"))
    running = anct("start", "approbation", "--territory", "23", "--siren", "212309603")
    reference = running.stdout.strip().splitlines()[-1]

    retired = anct("processes", "retire", "approbation")
    assert retired.stdout.strip() == (
        "Procédure « Demande d'approbation » retirée : les dossiers en cours continuent."
    )
    refused = anct("start", "approbation", "--territory", "23", "--siren", "212309603", code=4)
    assert "est retirée : elle n'accepte plus de nouveaux dossiers" in refused.output
    [task] = json.loads(anct("tasks", "--json").stdout)
    anct("complete", task["id"], "--data", '{"montant": 500}')
    assert json.loads(anct("show", reference, "--json").stdout)["status"] == "terminee"
    assert "retirée le" in anct("processes", "list").stdout
    assert (
        "version 1  inchangée  (procédure retirée)"
        in anct("deploy", str(FIXTURES / "approbation.bpmn")).stdout
    )

    anct("processes", "reinstate", "approbation")
    anct("start", "approbation", "--territory", "23", "--siren", "212309603")
