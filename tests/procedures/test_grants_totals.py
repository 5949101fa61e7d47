"""A call's and a programme's totals under reservations, renunciations and reductions: always
the sum of the live grants, never above their caps, also with concurrent workers on PostgreSQL."""

from __future__ import annotations

import random
import threading
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import select, update

from engine import service
from engine.errors import Conflict, InvalidInput
from engine.service.campaigns import calls, grants, programmes
from engine.store.migrate import alembic_config
from engine.store.models import Campaign, ProcessInstance
from tests.procedures.conftest import ARDENNE_METROPOLE
from tests.procedures.test_pass_numerique import CANDIDATURE, DEPOT, FENETRE, PROCESS

VAGUE_1, VAGUE_2 = "pass-2020-vague-1", "pass-2020-vague-2"


@pytest.fixture
def vagues(deploy, services, clock):
    """Two waves of one programme: 1 500 € and 6 laureates in all, each wave 1 000 € and 5."""
    deploy("pass_numerique")
    programmes.create(
        services, code="pass-2020", process_id=PROCESS, name="Pass numérique 2020",
        envelope=1500, max_laureates=6,
    )  # fmt: skip
    for code in (VAGUE_1, VAGUE_2):
        calls.create(
            services, code=code, process_id=PROCESS, name=f"Pass numérique, {code}",
            envelope=1000, max_laureates=5, programme="pass-2020", **FENETRE,
        )  # fmt: skip
    clock.set(DEPOT)
    return services


def dossiers(services, count: int, code: str = VAGUE_1) -> list[int]:
    started = [
        service.start(
            services,
            PROCESS,
            data={**CANDIDATURE, "campagne": code},
            actor="depot",
            **ARDENNE_METROPOLE,
        )
        for _ in range(count)
    ]
    return [service.get_instance(services, s.reference, service.Viewer.command_line()).id
            for s in started]  # fmt: skip


def reserve(services, instance_id: int, code: str, amount) -> None:
    with services.write() as connection:
        grants.reserve(connection, instance_id, code, amount, services.clock.now())


def test_a_wave_cannot_overrun_its_programme(vagues):
    first, second = dossiers(vagues, 1, VAGUE_1), dossiers(vagues, 1, VAGUE_2)
    reserve(vagues, first[0], VAGUE_1, 900)
    with pytest.raises(InvalidInput, match="du programme « Pass numérique 2020 »") as refused:
        reserve(vagues, second[0], VAGUE_2, 700)
    assert "toutes vagues confondues" in str(refused.value)
    assert calls.get(vagues, VAGUE_2).granted_total == 0, "nothing kept of the refused step"
    reserve(vagues, second[0], VAGUE_2, 600)
    programme = programmes.get(vagues, "pass-2020")
    assert (programme.granted_total, programme.laureates) == (Decimal("1500"), 2)


def test_a_programme_caps_its_laureates_across_waves(vagues):
    wave_1, wave_2 = dossiers(vagues, 4, VAGUE_1), dossiers(vagues, 3, VAGUE_2)
    for instance_id in wave_1:
        reserve(vagues, instance_id, VAGUE_1, 10)
    reserve(vagues, wave_2[0], VAGUE_2, 10)
    reserve(vagues, wave_2[1], VAGUE_2, 10)
    with pytest.raises(InvalidInput, match="a déjà ses 6 lauréats, toutes vagues confondues"):
        reserve(vagues, wave_2[2], VAGUE_2, 10)
    with vagues.write() as connection:
        grants.release(
            connection, wave_1[0], status="renoncee", reason="Projet abandonné", actor="x",
            now=vagues.clock.now(),
        )  # fmt: skip
    reserve(vagues, wave_2[2], VAGUE_2, 10)
    assert programmes.get(vagues, "pass-2020").laureates == 6


def test_a_reduction_gives_back_the_difference_and_never_goes_under_what_is_paid(vagues):
    [dossier] = dossiers(vagues, 1)
    reserve(vagues, dossier, VAGUE_1, 800)
    now = vagues.clock.now()
    with vagues.write() as connection:
        grants.record_payment(
            connection, dossier, kind="avance", label="Avance", amount=300, paid_on="2021-01-20",
            reference="M-1", actor="anct", now=now,
        )  # fmt: skip
    with vagues.write() as connection, pytest.raises(InvalidInput, match="déjà versés"):
        grants.reduce(connection, dossier, 200, reason="Coûts revus", actor="anct", now=now)
    with vagues.write() as connection, pytest.raises(InvalidInput, match="inférieur à l'aide"):
        grants.reduce(connection, dossier, 900, reason="Coûts revus", actor="anct", now=now)
    with vagues.write() as connection:
        given_back = grants.reduce(
            connection, dossier, 500, reason="Coûts revus", actor="anct", now=now
        )
    assert given_back == Decimal("300")
    call = calls.get(vagues, VAGUE_1)
    assert (call.granted_total, call.laureates) == (Decimal("500"), 1)
    assert programmes.get(vagues, "pass-2020").granted_total == Decimal("500")
    with vagues.read() as connection:
        held = grants.view(connection, dossier)
    assert (held.granted, held.amount, held.paid, held.remaining) == (
        Decimal("800"), Decimal("500"), Decimal("300"), Decimal("200"),
    )  # fmt: skip


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_reservations_renunciations_and_reductions_keep_totals_exact(vagues):
    """Four workers, random operations on twelve dossiers of one wave: at the end the call's
    and the programme's totals are the sum of the live grants and within every cap."""
    pool = dossiers(vagues, 12)
    errors: list[BaseException] = []
    done: list[str] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(30):
            instance_id = rng.choice(pool)
            operation = rng.choice(["reserve", "reserve", "release", "reduce"])
            try:
                with vagues.write() as connection:
                    now = vagues.clock.now()
                    if operation == "reserve":
                        grants.reserve(connection, instance_id, VAGUE_1, rng.randint(1, 400), now)
                    elif operation == "release":
                        grants.release(
                            connection, instance_id, status="renoncee", reason="test",
                            actor="x", now=now,
                        )  # fmt: skip
                    else:
                        grants.reduce(
                            connection, instance_id, rng.randint(1, 200), reason="test",
                            actor="x", now=now,
                        )  # fmt: skip
                done.append(operation)
            except (InvalidInput, Conflict):
                pass
            except BaseException as error:  # reported below
                errors.append(error)

    workers = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert {"reserve", "release", "reduce"} <= set(done), done
    with vagues.read() as connection:
        stored_cents, stored_laureates, live_cents, live_laureates = grants.check_totals(
            connection, VAGUE_1
        )
    assert (stored_cents, stored_laureates) == (live_cents, live_laureates)
    assert stored_cents <= 1000_00 and stored_laureates <= 5
    programme = programmes.get(vagues, "pass-2020")
    assert (programme.granted_total * 100, programme.laureates) == (stored_cents, stored_laureates)


def test_dossiers_granted_before_the_grants_table_get_their_grant_and_payments(deploy, services):
    """Migration 0011 turns the reservation and the tranches a dossier's data already holds
    into its grant and its payments: the call's totals stay the sum of the live grants."""
    deploy("pass_numerique")
    calls.create(
        services, code="pass-numerique-2020", process_id="pass_numerique", name="Pass 2020",
        envelope=15000000, **FENETRE,
    )  # fmt: skip
    services.clock.set(DEPOT)
    started = service.start(
        services, "pass_numerique", data=CANDIDATURE, actor="depot", **ARDENNE_METROPOLE
    )
    config = alembic_config()
    with services.db.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
        connection.execute(
            update(ProcessInstance)
            .where(ProcessInstance.reference == started.reference)
            .values(data={
                **CANDIDATURE, "montant_accorde": 90000, "enveloppe": {"reste": 1},
                "versements": [{"tranche": 1, "montant": 37500.5, "date": "2021-01-20",
                                "reference": "MANDAT-1"}],
            })
        )  # fmt: skip
        connection.execute(update(Campaign).values(granted_cents=9000000, laureates=1))
        command.upgrade(config, "head")
        connection.commit()
        instance_id = connection.execute(
            select(ProcessInstance.id).where(ProcessInstance.reference == started.reference)
        ).scalar_one()
    with services.read() as connection:
        held = grants.view(connection, instance_id)
        totals = grants.check_totals(connection, "pass-numerique-2020")
    assert (held.amount, held.paid, held.remaining) == (
        90000,
        Decimal("37500.5"),
        Decimal("52499.5"),
    )
    assert [(p.kind, p.paid_on, p.reference) for p in held.payments] == [
        ("avance", "2021-01-20", "MANDAT-1")
    ]
    assert totals == (9000000, 1, 9000000, 1)
