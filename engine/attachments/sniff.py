"""The type of a file, read from its first bytes (and, for office documents, from the names of
the parts it contains), never from its name or from what the browser says.

A name whose extension does not match the content is refused: a « .pdf » that is really an
image or a program must not reach the people who open the dossier's files.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InvalidInput


@dataclass(frozen=True)
class Kind:
    """One accepted type: its key in forms (`x-types`), media type, extensions, French label."""

    key: str
    media_type: str
    extensions: tuple[str, ...]
    label: str


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("pdf", "application/pdf", (".pdf",), "PDF"),
        Kind("odt", "application/vnd.oasis.opendocument.text", (".odt",), "texte OpenDocument"),
        Kind(
            "ods", "application/vnd.oasis.opendocument.spreadsheet", (".ods",),
            "tableur OpenDocument",
        ),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",), "document Word",
        ),
        Kind(
            "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",), "classeur Excel",
        ),
        Kind("doc", "application/msword", (".doc",), "document Word 97-2003"),
        Kind("xls", "application/vnd.ms-excel", (".xls",), "classeur Excel 97-2003"),
        Kind("png", "image/png", (".png",), "image PNG"),
        Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "image JPEG"),
    )
}  # fmt: skip
BY_MEDIA_TYPE = {kind.media_type: kind for kind in KINDS.values()}
#: What every file field accepts unless its form says otherwise.
ALL = tuple(KINDS)
ACCEPTED_TEXT = (
    "un PDF, un document bureautique (odt, ods, docx, xlsx, doc, xls) ou une image PNG ou JPEG"
)

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PROGRAMS = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
#: Parts of an OOXML package holding macros: refused, as programs are.
_MACROS = ("word/vbaProject.bin", "xl/vbaProject.bin")


class Refused(InvalidInput):
    """A file refused for its content, size or name; the message says why, in French."""


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole_kind(content: bytes) -> str | None:
    """Word 97 and Excel 97 files are OLE containers: told apart by their main stream's name
    (stored in UTF-16 in the container's directory). Other OLE files (installers) are refused."""
    if _utf16("WordDocument") in content:
        return "doc"
    if _utf16("Workbook") in content or _utf16("Book\x00") in content:
        return "xls"
    return None


def _zip_kind(content: bytes) -> str | None:
    """OpenDocument files name their type in a first `mimetype` part; OOXML ones have their
    main part at a known place. Only the list of parts is read (no decompression but the tiny
    `mimetype`), so an archive bomb costs nothing."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return _ODF.get(declared)
            if "[Content_Types].xml" not in names or any(m in names for m in _MACROS):
                return None
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    except (zipfile.BadZipFile, KeyError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None


def detect(content: bytes) -> Kind | None:
    """The accepted type this content is, or None (unknown, or a program)."""
    key: str | None = None
    if content.startswith(b"%PDF-"):
        key = "pdf"
    elif content.startswith(b"\x89PNG\r\n\x1a\n"):
        key = "png"
    elif content.startswith(b"\xff\xd8\xff"):
        key = "jpeg"
    elif content.startswith(_OLE):
        key = _ole_kind(content)
    elif content.startswith(b"PK\x03\x04"):
        key = _zip_kind(content)
    return KINDS[key] if key else None


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def labels(keys: Iterable[str]) -> str:
    """« PDF, image PNG » for a list of type keys."""
    return ", ".join(KINDS[key].label for key in keys if key in KINDS)


def check_file(filename: str, content: bytes, accepted: Iterable[str] | None = None) -> Kind:
    """The file's type if it is accepted, else Refused with a French message naming the file.

    Refused: an empty file, a program, an unknown content, a content another type than the
    name's extension says, or a type the field does not accept.
    """
    if not content:
        raise Refused(f"Le fichier « {filename} » est vide.")
    kind = detect(content)
    if kind is None:
        if content.startswith(_PROGRAMS):
            raise Refused(
                f"Le fichier « {filename} » est un programme : il ne peut pas être joint au dossier."
            )
        raise Refused(
            f"Le fichier « {filename} » n'est pas d'un type accepté : joignez {ACCEPTED_TEXT}."
        )
    extension = _extension(filename)
    if extension not in kind.extensions:
        said = f"porte l'extension « {extension} »" if extension else "n'a pas d'extension"
        raise Refused(
            f"Le fichier « {filename} » {said} mais son contenu est celui d'un fichier "
            f"{kind.label} ({kind.extensions[0]}) : envoyez le bon fichier, ou nommez-le "
            "d'après son contenu."
        )
    wanted = tuple(accepted or ALL)
    if kind.key not in wanted:
        raise Refused(
            f"Le fichier « {filename} » est un fichier {kind.label} : ce champ attend "
            f"{labels(wanted)}."
        )
    return kind
