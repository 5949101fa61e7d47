"""French text of dates, times, euros, numbers and plurals, on Babel (CLDR), in one place.

Pages, e-mails, exports, messages and the command line all call these functions; nothing else
formats a date or an amount by hand. Moments are stored in UTC and always shown in Paris time
(a naive one is taken as UTC, as everywhere in the engine).

Thousands are separated by a plain space (« 45 000 000 € »), not by CLDR's narrow no-break
space: that is what the platform has always shown in its messages, and what people type back.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal

from .clock import PARIS, as_utc

LOCALE = Locale("fr", "FR")
#: CLDR's group separator for French (U+202F today), replaced by THOUSANDS.
_CLDR_GROUP = LOCALE.number_symbols["latn"]["group"]
THOUSANDS = " "

Number = int | float | Decimal


def paris(moment: datetime) -> datetime:
    """The moment in Paris time (a naive moment is taken as UTC)."""
    return as_utc(moment).astimezone(PARIS)


def _day(value: date) -> str:
    """« 1er » for the first of the month, as French writes it; the day's number otherwise."""
    return "1er" if value.day == 1 else str(value.day)


def date_text(value: date | datetime, style: Literal["long", "short"] = "long") -> str:
    """« 2 mars 2026 », « 1er mars 2026 » (long) or « 02/03/2026 » (short); a moment's date is
    its date in Paris."""
    if isinstance(value, datetime):
        value = paris(value).date()
    if style == "short":
        return format_date(value, "dd/MM/y", locale=LOCALE)
    return f"{_day(value)} {format_date(value, 'MMMM y', locale=LOCALE)}"


def time_text(moment: datetime) -> str:
    """« 09 h 05 », in Paris time."""
    return format_time(paris(moment), "HH 'h' mm", locale=LOCALE)


def datetime_text(moment: datetime, style: Literal["long", "short", "iso"] = "long") -> str:
    """A moment in Paris time: « 15 mars 2026 à 09 h 00 » (long, pages and e-mails),
    « 15/03/2026 09:00 » (short, spreadsheets) or « 2026-03-15 09:00 » (iso, the command line,
    as its options are typed)."""
    local = paris(moment)
    if style == "short":
        return format_datetime(local, "dd/MM/y HH:mm", locale=LOCALE)
    if style == "iso":
        return format_datetime(local, "y-MM-dd HH:mm", locale=LOCALE)
    return f"{date_text(local)} à {time_text(local)}"


def _spaced(text: str) -> str:
    return text.replace(_CLDR_GROUP, THOUSANDS)


def number(value: Number, *, grouping: bool = True) -> str:
    """« 1 234,5 », « 0,3 »: decimal comma, thousands spaced (not with grouping=False: a
    spreadsheet reads « 1234,5 » as a number), every decimal kept."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    text = format_decimal(
        value, locale=LOCALE, decimal_quantization=False, group_separator=grouping
    )
    return _spaced(text)


def euros(amount: Number) -> str:
    """« 45 000 000 € », « 1 234,50 € »: cents only when there are some."""
    value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
    pattern = "#,##0 ¤" if value == value.to_integral_value() else "#,##0.00 ¤"
    text = format_currency(value, "EUR", pattern, locale=LOCALE, currency_digits=False)
    return _spaced(text)


def plural(count: int, singular: str, plural: str) -> str:
    """« 0 lauréat », « 1 lauréat », « 2 lauréats »: the count and the word its French
    plural rule (CLDR) asks for (0 and 1 take the singular)."""
    return f"{number(count)} {_word(count, singular, plural)}"


def _word(count: int, singular: str, plural: str) -> str:
    return singular if LOCALE.plural_form(abs(count)) == "one" else plural


def file_size(size: int) -> str:
    """« 12 octets », « 340 Ko », « 1,5 Mo », « 10,0 Mo »."""
    if size < 1024:
        return f"{size} {_word(size, 'octet', 'octets')}"
    if size < 1024 * 1024:
        return f"{number(round(size / 1024))} Ko"
    return megabytes(size)


def megabytes(size: int) -> str:
    """« 0,5 Mo », « 10,0 Mo »: a size in Mo, one decimal."""
    return f"{_spaced(format_decimal(size / (1024 * 1024), '#,##0.0', locale=LOCALE))} Mo"
