"""Dates, times, euros, numbers and plurals in French (engine.l10n), the one place for them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from engine import l10n


def test_moments_are_shown_in_paris_time_whatever_their_zone():
    winter = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 14, 10, 5, tzinfo=UTC)
    assert l10n.datetime_text(winter) == "2 mars 2026 à 09 h 00"
    assert l10n.datetime_text(summer) == "14 juillet 2026 à 12 h 05"
    assert l10n.datetime_text(winter, "short") == "02/03/2026 09:00"
    assert l10n.datetime_text(winter, "iso") == "2026-03-02 09:00"
    assert l10n.time_text(summer) == "12 h 05"
    # Naive moments are UTC, as everywhere in the engine; 23:30 UTC is already tomorrow.
    assert l10n.date_text(datetime(2026, 2, 28, 23, 30)) == "1er mars 2026"
    assert l10n.date_text(datetime(2026, 2, 28, 23, 30), "short") == "01/03/2026"


def test_dates():
    assert l10n.date_text(date(2026, 9, 1)) == "1er septembre 2026"
    assert l10n.date_text(date(2026, 9, 2)) == "2 septembre 2026"
    assert l10n.date_text(date(2026, 9, 2), "short") == "02/09/2026"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (45_000_000, "45 000 000 €"),
        (Decimal("1234.50"), "1 234,50 €"),
        (1234.5, "1 234,50 €"),
        (Decimal("150000.00"), "150 000 €"),
        (0, "0 €"),
    ],
)
def test_euros_show_cents_only_when_there_are_some(amount, text):
    assert l10n.euros(amount) == text


def test_numbers_and_plurals():
    assert l10n.number(1234.5) == "1 234,5"
    assert l10n.number(3.0) == "3"
    assert l10n.number(1234567, grouping=False) == "1234567"
    assert [l10n.plural(n, "lauréat", "lauréats") for n in (0, 1, 2, 1000)] == [
        "0 lauréat", "1 lauréat", "2 lauréats", "1 000 lauréats",
    ]  # fmt: skip


def test_file_sizes():
    sizes = [1, 1000, 340 * 1024, 3 * 1024 * 1024 // 2, 10 * 1024 * 1024]
    assert [l10n.file_size(s) for s in sizes] == [
        "1 octet", "1000 octets", "340 Ko", "1,5 Mo", "10,0 Mo",
    ]  # fmt: skip
    assert l10n.megabytes(512 * 1024) == "0,5 Mo"
