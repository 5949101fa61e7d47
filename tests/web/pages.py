"""Reading pages as a person does: the text of the page or of one data-testid element, the
rows of the tasks table and the links."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any


class _Reader(HTMLParser):
    """Text of the page, of one data-testid element, and the rows of the tasks table."""

    VOID = frozenset({"br", "img", "input", "hr", "meta", "link", "source", "wbr", "col"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str | None] = []
        self.texts: dict[str, list[str]] = {"": []}
        self.rows: list[list[str]] = []
        self.headers: list[str] = []
        self.links: dict[str, list[str]] = {}
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        testid = found.get("data-testid")
        if testid:
            self.texts.setdefault(testid, [])
            self.links.setdefault(testid, [])
        if tag == "a" and found.get("href"):
            for open_id in {t for t in self.stack if t} | ({testid} if testid else set()):
                self.links[open_id].append(found["href"] or "")
        if tag not in self.VOID:
            self.stack.append(testid)
        inside_table = "taches" in self.stack
        if inside_table and tag == "tr":
            self.rows.append([])
        elif inside_table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.texts[""].append(data)
        for testid in {t for t in self.stack if t}:
            self.texts[testid].append(data)
        if self._cell is not None:
            self._cell.append(data)


def read(answer: Any) -> _Reader:
    reader = _Reader()
    reader.feed(answer.get_data(as_text=True))
    return reader


def seen(answer: Any, testid: str = "") -> str:
    """What a person reads on the page, or in the element with this data-testid."""
    texts = read(answer).texts
    assert testid in texts, f"pas d'élément data-testid={testid}"
    return re.sub(r"\s+", " ", " ".join(texts[testid])).strip()


def table(answer: Any) -> list[dict[str, str]]:
    """The rows of the tasks table, as {column title: cell text}."""
    rows = read(answer).rows
    if not rows:
        return []
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def references(answer: Any) -> list[str]:
    return [row["Dossier"] for row in table(answer)]
