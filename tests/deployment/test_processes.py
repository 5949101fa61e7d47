"""The production layout of docker/compose.yaml, run as real processes on the local PostgreSQL.

`anct deploy`, gunicorn (`web.wsgi:app`) and two `anct worker` processes share one database; a
reminder timer fires exactly once although both workers sweep, and still fires after one worker
is killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, _truncate

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
#: Real time: the workers fire on the system clock.
REMINDER = "PT3S"
FIRING_DEADLINE = 30.0


def executable(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    located = shutil.which(name)
    assert located, f"{name} introuvable (ni dans {BIN} ni dans le PATH)"
    return located


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Processes:
    """Long-running children, their output in files, all stopped at the end."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        with (
            open(self.folder / f"{name}.out", "wb") as out,
            open(self.folder / f"{name}.err", "wb") as err,
        ):
            child = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out, stderr=err)
        self.running[name] = child
        return child

    def alive(self, name: str) -> bool:
        return self.running[name].poll() is None

    def stderr(self, name: str) -> str:
        return (self.folder / f"{name}.err").read_text(errors="replace")

    def stop_all(self) -> None:
        for child in self.running.values():
            if child.poll() is None:
                child.terminate()
        for child in self.running.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)

    def dump(self) -> None:
        for path in sorted(self.folder.glob("*.out")) + sorted(self.folder.glob("*.err")):
            print(f"----- {path.name} -----")
            print(path.read_text(errors="replace"))


@pytest.fixture
def env(postgresql_database: str, tmp_path: Path) -> dict[str, str]:
    _truncate(postgresql_database)
    return {
        **os.environ,
        "DATABASE_URL": postgresql_database,
        "ANCT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def processes(env: dict[str, str], tmp_path: Path) -> Iterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Processes(logs, env)
    yield running
    running.stop_all()  # already done by the test; a safety net if it never got there


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    """relance.bpmn with a reminder a few seconds after the start."""
    source = (FIXTURES / "relance.bpmn").read_text(encoding="utf-8")
    assert source.count('"P7D"') == 1
    folder = tmp_path / "processes"
    folder.mkdir()
    (folder / "relance.bpmn").write_text(source.replace('"P7D"', f'"{REMINDER}"'), "utf-8")
    return folder


def anct(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [executable("anct"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"anct {' '.join(args)} : {result.stdout}{result.stderr}"
    return result


def wait_for(what: str, check: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} : rien après {timeout:g} s")
        time.sleep(every)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def start_dossier(env: dict[str, str]) -> str:
    data = json.dumps({"date_limite": "2099-12-31", "referent": "marie"})
    started = anct(
        env, "start", "relance", "--territory", "23", "--siren", "212309603", "--data", data
    )
    return started.stdout.split()[-1]


def show(env: dict[str, str], reference: str) -> dict[str, Any]:
    return json.loads(anct(env, "show", reference, "--json").stdout)


def reminded(env: dict[str, str], reference: str) -> dict[str, Any] | None:
    shown = show(env, reference)
    fired = any(event["kind"] == "minuterie" for event in shown["history"])
    return shown if fired and shown["data"].get("relances") == 1 else None


def timer_events(shown: dict[str, Any]) -> list[dict[str, Any]]:
    return [event for event in shown["history"] if event["kind"] == "minuterie"]


@pytest.mark.postgresql
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_web_and_two_workers_carry_dossiers_through_timers(
    env: dict[str, str], processes: Processes, definitions: Path
) -> None:
    failed = False
    try:
        deployed = anct(env, "deploy", str(definitions))
        assert deployed.stdout.strip() == "relance  version 1  nouvelle version"
        anct(env, "users", "create", "marie", "--role", "collectivite", "--scope", "212309603")

        port = free_port()
        processes.start(
            "web",
            executable("gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "web.wsgi:app",
        )
        for name in ("worker-1", "worker-2"):
            processes.start(name, executable("anct"), "worker", "--interval", "1")

        base = f"http://127.0.0.1:{port}"
        wait_for("/sante répond 200", lambda: get(f"{base}/sante")[0] == 200, timeout=60)
        status, body = get(f"{base}/sante")
        assert json.loads(body) == {"statut": "ok", "base": "postgresql"}
        status, home = get(f"{base}/")
        assert status == 200
        assert "Réponse attendue avec relance" in home
        assert "<td>relance</td>" in home

        first = start_dossier(env)
        shown = wait_for(f"relance de {first}", lambda: reminded(env, first), FIRING_DEADLINE)
        # A few more sweeps of both workers: the reminder must not fire a second time.
        time.sleep(3)
        shown = show(env, first)
        assert [e["bpmn_id"] for e in timer_events(shown)] == ["rappel"]
        assert shown["data"]["relances"] == 1
        # Non-interrupting reminder: the dossier still waits for the answer.
        assert shown["status"] == "en_cours"
        assert [t["bpmn_id"] for t in shown["tasks"]] == ["repondre"]
        assert all(processes.alive(name) for name in ("web", "worker-1", "worker-2"))

        # Kill the worker that fired (if the logs tell which), the other one takes over.
        fired_by = [n for n in ("worker-1", "worker-2") if "prise(s)" in processes.stderr(n)]
        assert len(fired_by) == 1, fired_by
        killed = fired_by[0]
        survivor = "worker-2" if killed == "worker-1" else "worker-1"
        processes.running[killed].send_signal(signal.SIGKILL)
        processes.running[killed].wait(timeout=10)

        second = start_dossier(env)
        assert second != first
        shown = wait_for(f"relance de {second}", lambda: reminded(env, second), FIRING_DEADLINE)
        assert [e["bpmn_id"] for e in timer_events(shown)] == ["rappel"]
        assert "prise(s)" in processes.stderr(survivor)
        assert processes.alive(survivor)
        assert get(f"{base}/sante")[0] == 200
    except BaseException:
        failed = True
        raise
    finally:
        processes.stop_all()
        if failed:
            processes.dump()
