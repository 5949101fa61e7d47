"""The French date helpers of process scripts follow the engine's clock, never the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine.clock import ManualClock
from engine.errors import ScriptError
from engine.sandbox import Sandbox
from engine.sandbox.helpers import add_iso_duration, make_helpers, parse_iso_duration

pytestmark = pytest.mark.timeout(20)

START = "2026-03-02T09:00:00+01:00"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def helpers(clock):
    return make_helpers(clock)


@pytest.fixture
def box(clock) -> Sandbox:
    return Sandbox(clock=clock, time_limit=0.5)


# --- maintenant() and aujourdhui() follow the injected clock -------------------------------------


def test_maintenant_is_the_clock_in_utc(helpers):
    now = helpers["maintenant"]()
    assert now == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert now.utcoffset() == timedelta(0)


def test_maintenant_follows_the_clock_when_it_moves(clock, helpers):
    clock.advance(days=3, hours=2)
    assert helpers["maintenant"]() == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    clock.set("2030-01-01T00:00:00Z")
    assert helpers["maintenant"]() == datetime(2030, 1, 1, tzinfo=UTC)


def test_aujourdhui_is_the_date_in_paris(clock, helpers):
    assert helpers["aujourdhui"]() == date(2026, 3, 2)
    # 23:30 UTC is already the next day in Paris (UTC+1 in winter, UTC+2 in summer).
    clock.set("2026-03-01T23:30:00Z")
    assert helpers["aujourdhui"]() == date(2026, 3, 2)
    clock.set("2026-07-14T22:30:00Z")
    assert helpers["aujourdhui"]() == date(2026, 7, 15)
    clock.set("2026-07-14T21:30:00Z")
    assert helpers["aujourdhui"]() == date(2026, 7, 14)


def test_scripts_read_the_injected_clock_not_the_wall_clock(clock, box):
    assert box.evaluate("maintenant()", {}) == clock.now()
    assert box.evaluate("aujourdhui()", {}) == date(2026, 3, 2)
    clock.advance(days=400)
    # The same sandbox (and the same compiled code) sees the clock move.
    assert box.evaluate("maintenant()", {}) == datetime(2027, 4, 6, 8, 0, tzinfo=UTC)
    assert box.evaluate("aujourdhui()", {}) == date(2027, 4, 6)


def test_a_deadline_computed_in_a_script_follows_the_clock(clock, box):
    script = (
        "echeance = ajouter_duree(aujourdhui(), 'P15D')\nrelance = maintenant() + duree('PT12H')"
    )
    first = box.execute(script, {})
    assert first == {
        "echeance": date(2026, 3, 17),
        "relance": datetime(2026, 3, 2, 20, 0, tzinfo=UTC),
    }
    clock.advance(days=30)
    assert box.execute(script, {})["echeance"] == date(2026, 4, 16)


def test_sandboxes_on_different_clocks_do_not_share_now():
    early = Sandbox(ManualClock("2026-01-01T12:00:00Z"))
    late = Sandbox(ManualClock("2027-06-01T12:00:00Z"))
    assert early.evaluate("aujourdhui()", {}) == date(2026, 1, 1)
    assert late.evaluate("aujourdhui()", {}) == date(2027, 6, 1)


# --- duree() and ajouter_duree() ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P15D", timedelta(days=15)),
        ("PT12H", timedelta(hours=12)),
        ("P2W", timedelta(weeks=2)),
        ("PT30M", timedelta(minutes=30)),
        ("PT45S", timedelta(seconds=45)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("p15d", timedelta(days=15)),
        (" P15D ", timedelta(days=15)),
    ],
)
def test_duree(helpers, text, expected):
    assert helpers["duree"](text) == expected


@pytest.mark.parametrize("text", ["P1M", "P1Y", "P1Y2M3D"])
def test_duree_refuses_calendar_durations_in_french(helpers, text):
    with pytest.raises(ScriptError, match="mois ou des années : utilisez ajouter_duree"):
        helpers["duree"](text)


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        (date(2026, 3, 2), "P15D", date(2026, 3, 17)),
        (date(2026, 3, 2), "P1M", date(2026, 4, 2)),
        (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
        (date(2028, 1, 31), "P1M", date(2028, 2, 29)),
        (date(2026, 12, 15), "P1M", date(2027, 1, 15)),
        (date(2026, 8, 31), "P3M", date(2026, 11, 30)),
        (date(2028, 2, 29), "P1Y", date(2029, 2, 28)),
        (date(2026, 1, 31), "P1M1D", date(2026, 3, 1)),
        (date(2026, 3, 2), "PT12H", date(2026, 3, 2)),  # a date has no hours
        ("2026-03-02", "P15D", date(2026, 3, 17)),
        (datetime(2026, 3, 2, 20, 0, tzinfo=UTC), "PT12H", datetime(2026, 3, 3, 8, 0, tzinfo=UTC)),
        (datetime(2026, 1, 31, 9, 30), "P1M", datetime(2026, 2, 28, 9, 30)),
        (
            "2026-03-02T09:00:00+01:00",
            "P1DT12H",
            datetime.fromisoformat("2026-03-03T21:00:00+01:00"),
        ),
    ],
)
def test_ajouter_duree(helpers, start, text, expected):
    result = helpers["ajouter_duree"](start, text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "text",
    ["", "P", "PT", "15D", "P15", "P1H", "PT1D", "P-1D", "P1.5D", "P15D2", "quinze jours", "P 15D"],
)
def test_invalid_durations_give_a_french_script_error(helpers, text):
    for call in (
        lambda: helpers["duree"](text),
        lambda: helpers["ajouter_duree"](date(2026, 3, 2), text),
        lambda: parse_iso_duration(text),
    ):
        with pytest.raises(
            ScriptError, match=r"Durée ISO 8601 invalide : « .* » \(exemples : P15D"
        ):
            call()


def test_invalid_durations_in_a_script_stop_it_with_the_helper_message(box):
    data = {"delai": "quinze jours"}
    with pytest.raises(ScriptError, match="Durée ISO 8601 invalide : « quinze jours »"):
        box.execute("echeance = ajouter_duree(aujourdhui(), delai)", data)
    with pytest.raises(ScriptError, match="Durée ISO 8601 invalide : « P1X »"):
        box.evaluate("maintenant() + duree('P1X')", {})
    assert data == {"delai": "quinze jours"}


def test_parse_and_add_iso_duration():
    assert parse_iso_duration("P1Y2M3W4DT5H6M7S") == {
        "years": 1, "months": 2, "weeks": 3, "days": 4, "hours": 5, "minutes": 6, "seconds": 7,
    }  # fmt: skip
    assert add_iso_duration(date(2026, 1, 31), "P1Y1M") == date(2027, 2, 28)


# --- the other date helpers ---------------------------------------------------------------------


def test_en_date(helpers):
    assert helpers["en_date"]("2026-03-02") == date(2026, 3, 2)
    assert helpers["en_date"]("2026-03-02T09:00:00+01:00") == datetime.fromisoformat(
        "2026-03-02T09:00:00+01:00"
    )
    assert helpers["en_date"](date(2026, 3, 2)) == date(2026, 3, 2)
    for bad in ("02/03/2026", "demain", 20260302, None):
        with pytest.raises(ScriptError, match="Date invalide"):
            helpers["en_date"](bad)


def test_jours_entre(helpers):
    assert helpers["jours_entre"]("2026-03-02", "2026-03-17") == 15
    assert helpers["jours_entre"](date(2026, 3, 17), "2026-03-02") == -15
    # A datetime and a date are compared as dates.
    assert helpers["jours_entre"]("2026-03-02T23:00:00", date(2026, 3, 3)) == 1


def test_en_utc_reads_dates_and_naive_times_in_paris(helpers):
    assert helpers["en_utc"]("2026-03-02") == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    assert helpers["en_utc"]("2026-07-14T12:00:00") == datetime(2026, 7, 14, 10, 0, tzinfo=UTC)
    assert helpers["en_utc"]("2026-07-14T12:00:00Z") == datetime(2026, 7, 14, 12, 0, tzinfo=UTC)


def test_dates_format_with_strftime_without_opening_imports():
    sandbox = Sandbox(clock=ManualClock("2026-03-02T09:30:00+01:00"))
    result = sandbox.execute("jour = aujourdhui().strftime('%d/%m/%Y')", {})
    assert result["jour"] == "02/03/2026"
    assert sandbox.evaluate("datetime.strptime('2026-04-01', '%Y-%m-%d').year", {}) == 2026
    for attempt in ("import time", "__import__('os')", "x = __builtins__"):
        with pytest.raises(ScriptError):
            sandbox.execute(attempt, {})
