"""Attached files below the web: the type read from the content, the blob stores (local folder,
S3-compatible with a fake client), and the rules a step applies to the files a form names."""

from __future__ import annotations

import hashlib

import pytest

from engine import service
from engine.attachments import CorruptBlob, LocalBlobStore, Refused, S3BlobStore, check_file, detect
from engine.forms import FormProblem, check_form
from engine.service.dossiers import attachments
from tests.files import DOCX, EXE, JPEG, ODS, PDF, PNG, XLSX, staged, zipped

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


@pytest.mark.parametrize(
    ("content", "key"),
    [
        (PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg"), (ODS, "ods"), (XLSX, "xlsx"),
        (DOCX, "docx"),
        (zipped({"mimetype": b"application/vnd.oasis.opendocument.text"}), "odt"),
        (OLE + "WordDocument".encode("utf-16-le"), "doc"),
        (OLE + "Workbook".encode("utf-16-le"), "xls"),
    ],
)  # fmt: skip
def test_the_type_is_read_from_the_content(content, key):
    found = detect(content)
    assert found is not None and found.key == key


@pytest.mark.parametrize(
    "content",
    [
        EXE,
        b"\x7fELF\x02\x01\x01",
        b"#!/bin/sh\nrm -rf /\n",
        b"<html><script>",
        b"hello",
        zipped({"a.txt": b"x"}),  # a plain archive
        zipped({"[Content_Types].xml": b"", "xl/workbook.xml": b"", "xl/vbaProject.bin": b""}),
        OLE,  # an OLE container that is neither Word nor Excel (an installer)
        b"PK\x03\x04 not really a zip",
    ],
    ids=["exe", "elf", "script", "html", "texte", "zip", "macros", "ole", "faux-zip"],
)
def test_programs_and_unknown_contents_are_not_accepted(content):
    assert detect(content) is None
    with pytest.raises(Refused):
        check_file("fichier.pdf", content)


def test_the_extension_must_say_what_the_content_is():
    assert check_file("plan.PDF", PDF).key == "pdf"
    assert check_file("photo.jpg", JPEG).key == "jpeg"
    with pytest.raises(Refused, match=r"porte l.extension « \.pdf » mais son contenu est celui"):
        check_file("plan.pdf", PNG)
    with pytest.raises(Refused, match="n'a pas d'extension"):
        check_file("plan", PDF)
    with pytest.raises(Refused, match="ce champ attend PDF"):
        check_file("tableau.ods", ODS, ["pdf"])


def test_the_local_store_writes_whole_files_under_their_hash(tmp_path):
    store = LocalBlobStore(tmp_path)
    digest = hashlib.sha256(PDF).hexdigest()
    store.put(digest, PDF, "application/pdf")
    store.put(digest, PDF, "application/pdf")  # idempotent
    assert store.get(digest) == PDF
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [digest]  # no temporary left
    store.path(digest).write_bytes(b"altered")
    with pytest.raises(CorruptBlob):
        store.get(digest)
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


class FakeS3:
    """What S3BlobStore uses of a boto3 client."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}

    def put_object(self, *, Bucket, Key, Body, ContentType):
        self.objects[(Bucket, Key)] = (Body, ContentType)

    def get_object(self, *, Bucket, Key):
        if (Bucket, Key) not in self.objects:
            raise KeyError(Key)  # botocore raises NoSuchKey

        class Body:
            def read(inner) -> bytes:
                return self.objects[(Bucket, Key)][0]

        return {"Body": Body()}


def test_the_s3_store_keys_objects_by_hash_and_checks_them():
    client = FakeS3()
    store = S3BlobStore(client, "pieces-anct", prefix="dossiers/")
    digest = hashlib.sha256(PDF).hexdigest()
    store.put(digest, PDF, "application/pdf")
    assert client.objects[("pieces-anct", f"dossiers/{digest}")] == (PDF, "application/pdf")
    assert store.get(digest) == PDF
    with pytest.raises(CorruptBlob):
        store.get(hashlib.sha256(b"absent").hexdigest())
    client.objects[("pieces-anct", f"dossiers/{digest}")] = (b"altered", "application/pdf")
    with pytest.raises(CorruptBlob):
        store.get(digest)


def test_files_go_to_the_s3_store_when_configured(services):
    client = FakeS3()
    services.blobs = S3BlobStore(client, "pieces-anct")
    reference = staged(services, "mairie.gueret", "plan.pdf")
    assert ("pieces-anct", reference["empreinte"]) in client.objects
    got = attachments.download(services, service.Viewer("mairie.gueret"), reference["id"])
    assert (got.filename, got.media_type, got.content) == ("plan.pdf", "application/pdf", PDF)


def test_file_names_lose_their_folders_and_control_characters():
    assert attachments.clean_filename("C:\\Users\\moi\\plan.pdf") == "plan.pdf"
    assert attachments.clean_filename("../../x\x00y.pdf") == "xy.pdf"
    assert attachments.clean_filename("") == "fichier"
    assert len(attachments.clean_filename("a" * 300 + ".pdf")) == 200


def test_a_form_declares_its_file_fields_correctly():
    def form(field: dict) -> str:
        import json

        return json.dumps({"type": "object", "properties": {"piece": field}})

    check_form(form({"type": "object", "x-widget": "fichier", "x-types": ["pdf"]}))
    with pytest.raises(FormProblem, match="types de fichier inconnus exe"):
        check_form(form({"type": "object", "x-widget": "fichier", "x-types": ["exe"]}))
    with pytest.raises(FormProblem, match="de type « object »"):
        check_form(form({"type": "string", "x-widget": "fichier"}))
    with pytest.raises(FormProblem, match="ne peut pas être dans une liste"):
        check_form(form({"type": "array", "items": {"type": "object", "x-widget": "fichier"}}))
