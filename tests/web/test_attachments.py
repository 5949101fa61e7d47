"""Attached files through the web: uploading with a form, type and size limits checked on the
content, storage under the SHA-256, download only by those who may see the dossier, listing on
the dossier page and in its history, signatures, and files kept when their step fails."""

from __future__ import annotations

import hashlib
import html
import io

import pytest
from sqlalchemy import select

from engine import service
from engine.store.models import Attachment
from tests.files import EXE, PDF, PNG
from tests.procedures.conftest import person
from tests.procedures.test_demande_ingenierie import DEPOT, jusqu_a_la_convention
from tests.web.conftest import post_form
from tests.web.pages import seen
from tests.web.test_portal import FORM, as_form, field_group

PREFET_23 = person("prefet.creuse", "prefet", "23")
PEOPLE = {
    "mairie_gueret": person("mairie.gueret", "collectivite", "212309603"),
    "prefet_23": PREFET_23,
    "anct": person("anct.national", "equipe_nationale"),
    "comite": person("comite.membre", "comite"),
}


def upload(content: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def group_of(answer, name: str) -> str:
    """The HTML of one field's group, entities decoded (the messages' apostrophes)."""
    return html.unescape(field_group(answer, name))


def rows(platform) -> list:
    with platform.read() as connection:
        return connection.execute(select(Attachment.__table__).order_by(Attachment.id)).all()


def file_request(client, **files):
    data = {**as_form(DEPOT), "_action": "deposer"}
    return post_form(client, FORM, {**data, **files})


@pytest.fixture
def filed(client_for, platform):
    """A request of the commune of Guéret filed with its délibération (a PDF)."""
    client = client_for("mairie.gueret")
    answer = file_request(client, deliberation=upload(PDF, "deliberation.pdf"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    reference = answer.headers["Location"].rsplit("/", 1)[-1]
    [row] = rows(platform)
    return reference, row


def test_the_form_posts_files_as_multipart(client_for):
    page = client_for("mairie.gueret").get(FORM)
    body = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in body
    group = group_of(page, "deliberation")
    assert 'type="file"' in group and 'accept=".pdf"' in group
    assert "Formats acceptés : PDF. 10,0 Mo au plus." in seen(page)


def test_an_uploaded_file_is_stored_under_its_hash_and_attached_to_the_dossier(filed, platform):
    reference, row = filed
    digest = hashlib.sha256(PDF).hexdigest()
    assert (row.sha256, row.size, row.media_type, row.filename) == (
        digest, len(PDF), "application/pdf", "deliberation.pdf",
    )  # fmt: skip
    assert (row.uploaded_by, row.attached_by, row.field) == (
        "mairie.gueret", "mairie.gueret", "deliberation",
    )  # fmt: skip
    # Outside the database, under its content hash; the dossier keeps a small reference.
    assert platform.blob_store().path(digest).read_bytes() == PDF
    dossier = service.get_instance(platform, reference, service.Viewer.command_line())
    assert row.instance_id == dossier.id
    assert dossier.data["deliberation"] == {
        "id": row.id, "nom": "deliberation.pdf", "taille": len(PDF), "type": "application/pdf",
        "empreinte": digest,
    }  # fmt: skip


def test_the_dossier_page_lists_the_file_and_its_history_entry(filed, client_for):
    reference, row = filed
    page = client_for("prefet.creuse").get(f"/dossiers/{reference}")
    listed = seen(page, "pieces")
    assert "Délibération ou courrier de l'exécutif" in listed and "deliberation.pdf" in listed
    assert "Dépôt du dossier" in listed and "Sophie Lemaire" in listed
    assert f'href="/pieces/{row.id}"' in page.get_data(as_text=True)
    history = seen(page, "historique")
    assert "Pièce jointe reçue" in history
    assert "Délibération ou courrier de l'exécutif : deliberation.pdf" in history
    assert "deliberation.pdf (PDF, " in seen(page, "donnees")


@pytest.mark.parametrize(
    ("login", "status"),
    [
        ("mairie.gueret", 200),  # the authority that filed it
        ("prefet.creuse", 200),  # the préfet of its département
        ("anct.national", 200),  # national
        ("prefet.ardennes", 404),  # another département's préfet
        ("ardenne.metropole", 404),  # another authority
        ("expert.cerema", 404),  # an expert with no task on this dossier
    ],
)
def test_a_file_is_downloaded_only_by_who_may_see_the_dossier(filed, client_for, login, status):
    _, row = filed
    answer = client_for(login).get(f"/pieces/{row.id}")
    assert answer.status_code == status
    if status == 200:
        assert answer.data == PDF
        assert answer.headers["Content-Type"] == "application/pdf"
        assert answer.headers["Content-Disposition"].startswith("attachment;")
        assert "deliberation.pdf" in answer.headers["Content-Disposition"]
        assert answer.headers["Cache-Control"] == "private, no-store"
    else:
        assert PDF not in answer.data and "deliberation.pdf" not in answer.get_data(as_text=True)


def test_anonymous_visitors_sign_in_first_and_unknown_files_are_404(filed, client_for):
    _, row = filed
    anonymous = client_for(None).get(f"/pieces/{row.id}")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    assert client_for("anct.national").get(f"/pieces/{row.id + 1000}").status_code == 404


@pytest.mark.parametrize(
    ("field", "content", "name", "message"),
    [
        ("deliberation", PNG, "deliberation.pdf",
         "Le fichier « deliberation.pdf » porte l'extension « .pdf » mais son contenu est celui "
         "d'un fichier image PNG (.png)"),
        ("deliberation", EXE, "deliberation.pdf",
         "Le fichier « deliberation.pdf » est un programme : il ne peut pas être joint au dossier."),
        ("deliberation", PNG, "scan.png",
         "Le fichier « scan.png » est un fichier image PNG : ce champ attend PDF."),
        ("document_projet", b"Notes prises en reunion\n", "notes.txt",
         "Le fichier « notes.txt » n'est pas d'un type accepté"),
        ("document_projet", b"", "vide.pdf", "Le fichier « vide.pdf » est vide."),
    ],
    ids=["extension-menteuse", "programme", "type-refuse-par-le-champ", "type-inconnu", "vide"],
)  # fmt: skip
def test_a_file_of_the_wrong_type_is_refused_with_a_french_message(
    client_for, platform, field, content, name, message
):
    refused = file_request(client_for("mairie.gueret"), **{field: upload(content, name)})
    assert refused.status_code == 422
    group = group_of(refused, field)
    assert message in group and 'aria-invalid="true"' in group
    # Nothing filed, nothing stored.
    assert service.list_tasks(platform, PREFET_23) == []
    assert rows(platform) == []


def test_an_oversized_file_is_refused(client_for, platform):
    platform.attachment_max_bytes = 1000
    big = PDF + b"%" * 2000
    refused = file_request(client_for("mairie.gueret"), deliberation=upload(big, "lourd.pdf"))
    assert refused.status_code == 422
    message = "Le fichier « lourd.pdf » est trop volumineux : 1000 octets au plus."
    assert message in group_of(refused, "deliberation")
    assert rows(platform) == [] and service.list_tasks(platform, PREFET_23) == []


def test_a_post_above_the_request_limit_gets_a_french_page(client_for, app):
    client = client_for("mairie.gueret")
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    refused = file_request(client, deliberation=upload(PDF + b"%" * 60_000, "enorme.pdf"))
    assert refused.status_code == 413
    assert "L'envoi est trop volumineux : 20 Mo au plus en tout" in seen(refused)


def test_a_file_is_kept_when_the_step_that_received_it_fails(client_for, platform):
    client = client_for("mairie.gueret")
    refused = file_request(
        client, deliberation=upload(PDF, "deliberation.pdf"), description_projet="Trop court"
    )
    assert refused.status_code == 422
    [row] = rows(platform)
    assert row.instance_id is None  # received, attached to nothing yet
    group = group_of(refused, "deliberation")
    assert "Déjà reçu" in group and "deliberation.pdf" in group
    assert f'<input type="hidden" name="deliberation" value="{row.id}">' in group
    # The uploader may open it; nobody else.
    assert client.get(f"/pieces/{row.id}").data == PDF
    assert client_for("prefet.creuse").get(f"/pieces/{row.id}").status_code == 404

    # Sent again without the file: the one received is used, not uploaded twice.
    filed = file_request(client, deliberation=str(row.id))
    assert filed.status_code == 302
    [again] = rows(platform)
    assert again.id == row.id and again.instance_id is not None
    page = client.get(filed.headers["Location"])
    assert "deliberation.pdf" in seen(page, "pieces")


def test_a_received_file_cannot_be_taken_by_someone_else(client_for, platform):
    """The hidden input names a file by its id: another person's staged file is not theirs."""
    client = client_for("mairie.gueret")
    file_request(client, deliberation=upload(PDF, "deliberation.pdf"), description_projet="x")
    [row] = rows(platform)
    other = client_for("ardenne.metropole")
    page = other.get("/portail/deposer/demande_ingenierie")
    assert page.status_code == 200
    data = {**as_form(DEPOT), "siren": "200041630", "commune": "08105", "_action": "deposer"}
    answer = post_form(other, FORM, {**data, "deliberation": str(row.id)})
    assert "deliberation.pdf" not in answer.get_data(as_text=True)
    assert rows(platform)[0].instance_id is None


def _signature_task(platform, clock) -> tuple[str, str]:
    reference = jusqu_a_la_convention(platform, PEOPLE, clock, partenaires=[])
    [task] = [
        t
        for t in service.list_tasks(platform, PEOPLE["mairie_gueret"])
        if t["instance"] == reference and t["bpmn_id"] == "signer_collectivite"
    ]
    return reference, task["id"]


SIGNATURE_FORM = {
    "signature_collectivite.signataire": "Marie-Françoise Fournier",
    "signature_collectivite.qualite": "maire",
}


def test_a_signature_records_who_signed_when_and_the_signed_file(client_for, platform, clock):
    reference, task_id = _signature_task(platform, clock)
    client = client_for("mairie.gueret")
    path = f"/taches/{task_id}"
    page = client.get(path)
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)

    # The box left unticked: refused, the signed file kept (« déjà reçu »).
    refused = post_form(client, path, {
        **SIGNATURE_FORM,
        "signature_collectivite.document_signe": upload(PDF, "convention-signee.pdf"),
    })  # fmt: skip
    assert refused.status_code == 422
    [row] = rows(platform)[-1:]
    assert row.instance_id is None
    group = group_of(refused, "signature_collectivite.document_signe")
    assert "Déjà reçu" in group and "convention-signee.pdf" in group

    signed = post_form(client, path, {
        **SIGNATURE_FORM, "signature_collectivite.convention_signee": "true",
        "signature_collectivite.document_signe": str(row.id),
    })  # fmt: skip
    assert signed.status_code == 302, signed.get_data(as_text=True)
    [row] = rows(platform)[-1:]
    assert (row.signature, row.attached_by, row.attached_at, row.task_id) == (
        True, "mairie.gueret", clock.now(), task_id,
    )  # fmt: skip

    dossier = client_for("prefet.creuse").get(f"/dossiers/{reference}")
    signatures = seen(dossier, "signatures")
    assert "Signer la convention — pour la commune de Guéret" in signatures
    assert "Sophie Lemaire" in signatures and "convention-signee.pdf" in signatures
    assert "Signature" in seen(dossier, "historique")
    assert "document signé : convention-signee.pdf" in seen(dossier, "historique")
    assert client_for("prefet.creuse").get(f"/pieces/{row.id}").data == PDF


def test_a_signature_needs_its_signed_file(client_for, platform, clock):
    _, task_id = _signature_task(platform, clock)
    client = client_for("mairie.gueret")
    refused = post_form(client, f"/taches/{task_id}", {
        **SIGNATURE_FORM, "signature_collectivite.convention_signee": "true",
    })  # fmt: skip
    assert refused.status_code == 422
    assert "Joignez la convention signée." in group_of(
        refused, "signature_collectivite.document_signe"
    )
