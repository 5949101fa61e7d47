"""`python -m tools.bpmn_layout FICHIER.bpmn...`: regenerate the diagrams in place."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from .document import layout_file


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bpmn_layout",
        description="(Re)génère le diagramme (BPMN DI) de fichiers BPMN, en place.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FICHIER.bpmn")
    args = parser.parse_args(list(argv) if argv is not None else None)
    status = 0
    for path in args.files:

        def warn(message: str, path: Path = path) -> None:
            print(f"{path}: attention : {message}", file=sys.stderr)

        try:
            layout_file(path, warn)
        except (OSError, etree.XMLSyntaxError, ValueError) as exc:
            print(f"{path}: erreur : {exc}", file=sys.stderr)
            status = 1
        else:
            print(f"{path}: diagramme régénéré")
    return status
