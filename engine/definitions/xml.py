"""Safe parsing of uploaded BPMN and DMN files.

Process definitions come from process owners through the browser: entities (XXE, billion
laughs), DTDs and network access are refused before lxml ever sees the document, and lxml itself
runs with entity resolution and network access off.
"""

from __future__ import annotations

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedElementTree
from lxml import etree

from ..errors import DefinitionProblem, InvalidDefinition

MAX_FILE_BYTES = 5 * 1024 * 1024

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
)


def _refuse(filename: str, message: str, line: int | None = None) -> InvalidDefinition:
    return InvalidDefinition([DefinitionProblem(filename, message, line, rule="xml")])


def parse_xml(content: bytes, filename: str) -> etree._Element:
    """The root element of `content`, or InvalidDefinition naming the file and the line."""
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(filename, f"fichier trop volumineux (plus de {MAX_FILE_BYTES // 1024} Kio)")
    if not content.strip():
        raise _refuse(filename, "fichier vide")
    try:
        DefusedElementTree.fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        raise _refuse(
            filename, "les déclarations DTD et les entités XML sont interdites (risque XXE)"
        ) from None
    except DefusedElementTree.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise _refuse(filename, f"XML mal formé ({_reason(exc)})", line) from None
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise _refuse(filename, f"XML mal formé ({exc.msg})", exc.lineno) from None


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text.split(":", 1)[0] if ":" in text else text
