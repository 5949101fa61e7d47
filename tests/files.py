"""Small files of each kind for the tests, and staging one as a person would by uploading it."""

from __future__ import annotations

import io
import zipfile

from engine import service
from engine.service.dossiers import attachments

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


ODS = zipped(
    {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}
)
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})


def staged(
    services: service.Services, login: str, filename: str = "piece.pdf", content: bytes = PDF
) -> dict:
    """The reference of a file `login` uploaded, not attached to any dossier yet."""
    return attachments.stage(services, service.Viewer(login), filename, content)
