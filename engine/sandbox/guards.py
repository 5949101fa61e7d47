"""Run-time guards called by the code RestrictedPython generates.

Attribute access is allowed only on the plain data types a process handles (text, numbers,
dates, lists, dictionaries); operations that can allocate a lot in one call are checked before
they run, so that the time and memory limits of `limits` stay meaningful.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from ..errors import SandboxViolation
from .limits import tick

#: Longest text, list or tuple a script may build in one operation.
MAX_LENGTH = 1_000_000
#: Largest integer (in bits) a script may build.
MAX_INT_BITS = 100_000

_VALUE_TYPES = (str, int, float, bool, list, tuple, dict, set, frozenset, date, datetime, time,
                timedelta, Decimal, type(None))  # fmt: skip
_CLASSES = (date, datetime, time, timedelta, Decimal)

#: Methods that would read the wall clock or produce bytes: refused on every type.
_REFUSED_ATTRIBUTES = frozenset(
    {"now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp", "timestamp",
     "format", "format_map", "encode", "to_bytes", "from_bytes", "mro"}
)  # fmt: skip


def _refuse(message: str) -> None:
    raise SandboxViolation(message)


def checked(value: Any) -> Any:
    """Refuse a result longer than MAX_LENGTH (texts, lists, tuples)."""
    if isinstance(value, (str, list, tuple, dict, set)) and len(value) > MAX_LENGTH:
        _refuse(f"résultat trop grand ({len(value)} éléments, au plus {MAX_LENGTH})")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        _refuse("nombre trop grand")
    return value


def _length_of(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, bytes)) else 0


def _check_repeat(sequence: Any, times: Any) -> None:
    if isinstance(times, int) and _length_of(sequence) * max(times, 0) > MAX_LENGTH:
        _refuse("répétition trop grande")


def text_weight(value: Any, limit: int = MAX_LENGTH) -> int:
    """The length of `str(value)`, within a small factor, counted only until it passes `limit`.

    Lists may hold the same big text many times, so the length of their text is not bounded by
    their memory; the walk stops as soon as the bound is passed, so its cost stays bounded too.
    (Escapes in `repr` may make a text up to ten times longer: `checked` catches the rest.)
    """
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, (list, tuple, set, frozenset, dict)):
            total += 2 + 4 * len(item)
            if total <= limit:
                pending.extend(item.items() if isinstance(item, dict) else item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, Decimal) and item.is_finite():
            total += len(str(item)) + abs(item.adjusted())
        else:
            total += 64
        if total > limit:
            break
    return total


def _percent_width(text: str) -> int:
    """The sum of the widths and precisions of a %-format; computed ones (`*`) are refused.

    Scans fields as `str.__mod__` does: `%`, an optional `(key)` (which may hold parentheses),
    flags, width, `.precision`.
    """
    total, size = 0, len(text)
    position = text.find("%")
    while position != -1:
        position += 1
        if text.startswith("(", position):
            depth = 0
            while position < size:
                depth += {"(": 1, ")": -1}.get(text[position], 0)
                position += 1
                if depth == 0:
                    break
        while position < size and text[position] in "-+ #0":
            position += 1
        while True:  # the width, then the precision if any
            if text.startswith("*", position):
                _refuse("largeur de format calculée (« * ») interdite")
            start = position
            while position < size and "0" <= text[position] <= "9":
                position += 1
            if position - start > 7:
                _refuse("largeur de format trop grande")
            total += int(text[start:position] or 0)
            if total > MAX_LENGTH:
                _refuse("largeur de format trop grande")
            if not text.startswith(".", position):
                break
            position += 1
        position = text.find("%", position + 1)
    return total


def binop(symbol: str, left: Any, right: Any) -> Any:
    if symbol == "**":
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and max(left.bit_length(), 1) * right > MAX_INT_BITS
        ):
            _refuse("puissance trop grande")
        return checked(left**right)
    if symbol == "*":
        _check_repeat(left, right)
        _check_repeat(right, left)
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() + right.bit_length() > MAX_INT_BITS
        ):
            _refuse("nombre trop grand")
        return left * right
    if symbol == "<<":
        if isinstance(right, int) and right > MAX_INT_BITS:
            _refuse("décalage trop grand")
        return checked(left << right)
    if symbol == "%":
        # The length of the result: the format, its widths and precisions, the values' texts.
        if isinstance(left, str) and (
            len(left) + _percent_width(left) + text_weight(right) > MAX_LENGTH
        ):
            _refuse("largeur de format trop grande ou texte formaté trop long")
        return checked(left % right)
    if symbol == "+":
        if _length_of(left) + _length_of(right) > MAX_LENGTH:
            _refuse("concaténation trop grande")
        return left + right
    raise SandboxViolation(f"opérateur inconnu {symbol}")  # pragma: no cover


_INPLACE = {
    "+=": "+", "-=": operator.sub, "*=": "*", "/=": operator.truediv, "//=": operator.floordiv,
    "%=": "%", "**=": "**", "<<=": "<<", ">>=": operator.rshift, "&=": operator.and_,
    "|=": operator.or_, "^=": operator.xor, "@=": None,
}  # fmt: skip


def inplacevar(op: str, current: Any, value: Any) -> Any:
    action = _INPLACE.get(op)
    if action is None:
        _refuse(f"opérateur {op} interdit")
    if isinstance(action, str):
        return binop(action, current, value)
    return action(current, value)


def _str_padding(method: Callable[..., str]) -> Callable[..., str]:
    def padded(width: int, *args: Any) -> str:
        if isinstance(width, int) and width > MAX_LENGTH:
            _refuse("largeur trop grande")
        return method(width, *args)

    return padded


def _str_join(separator: str) -> Callable[[Iterable[Any]], str]:
    def join(items: Iterable[Any]) -> str:
        items = list(items)
        total = sum(_length_of(i) for i in items) + len(separator) * max(len(items) - 1, 0)
        if total > MAX_LENGTH:
            _refuse("texte trop grand")
        return separator.join(items)

    return join


def _str_replace(text: str) -> Callable[..., str]:
    def replace(old: str, new: str, count: int = -1) -> str:
        occurrences = text.count(old) if old else len(text) + 1
        if count >= 0:
            occurrences = min(occurrences, count)
        if len(text) + occurrences * max(len(new) - len(old), 0) > MAX_LENGTH:
            _refuse("texte trop grand")
        return text.replace(old, new, count)

    return replace


def _str_expandtabs(text: str) -> Callable[..., str]:
    def expandtabs(tabsize: int = 8) -> str:
        if text.count("\t") * max(tabsize, 0) + len(text) > MAX_LENGTH:
            _refuse("texte trop grand")
        return text.expandtabs(tabsize)

    return expandtabs


def _list_extend(items: list) -> Callable[[Iterable[Any]], None]:
    def extend(more: Iterable[Any]) -> None:
        more = list(more)
        if len(items) + len(more) > MAX_LENGTH:
            _refuse("liste trop grande")
        items.extend(more)

    return extend


def guarded_getattr(obj: Any, name: str) -> Any:
    if not isinstance(name, str) or name.startswith("_"):
        _refuse(f"l'attribut « {name} » est interdit")
    if name in _REFUSED_ATTRIBUTES:
        hint = (
            " (utilisez maintenant() ou aujourdhui())" if name in {"now", "today", "utcnow"} else ""
        )
        _refuse(f"l'attribut « {name} » est interdit{hint}")
    if not (type(obj) in _VALUE_TYPES or any(obj is cls for cls in _CLASSES)):
        _refuse(f"accès aux attributs d'un objet de type « {type(obj).__name__} » interdit")
    if isinstance(obj, str):
        if name in {"ljust", "rjust", "center", "zfill"}:
            return _str_padding(getattr(obj, name))
        if name == "join":
            return _str_join(obj)
        if name == "replace":
            return _str_replace(obj)
        if name == "expandtabs":
            return _str_expandtabs(obj)
    if isinstance(obj, list) and name == "extend":
        return _list_extend(obj)
    return getattr(obj, name)


def guarded_getitem(obj: Any, key: Any) -> Any:
    if type(obj) not in _VALUE_TYPES:
        _refuse(f"indexation d'un objet de type « {type(obj).__name__} » interdite")
    return obj[key]


def guarded_write(obj: Any) -> Any:
    """Scripts may change the containers of their data, nothing else."""
    if type(obj) in (dict, list, set):
        return obj
    _refuse(f"modification d'un objet de type « {type(obj).__name__} » interdite")


def guarded_iter(obj: Any) -> Iterator[Any]:
    """Iterate while checking the time budget, so no loop or comprehension runs unbounded."""
    for count, item in enumerate(obj):
        if count % 256 == 0:
            tick()
        yield item


def guarded_apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


GUARDS: dict[str, Any] = {
    "_getattr_": guarded_getattr,
    "_getitem_": guarded_getitem,
    "_write_": guarded_write,
    "_getiter_": guarded_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": guarded_apply,
    "_inplacevar_": inplacevar,
    "_binop_": binop,
    "_checked_": checked,
    "_tick_": tick,
}
