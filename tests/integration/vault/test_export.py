"""Take everything: the owner, and only the owner, gets one ZIP of every paper, those in the
bin in a folder of their own, byte for byte, with a manifest and the journal; a paper found
damaged past its start stops the stream (one that cannot be read at all is left out:
test_unreadable_papers.py)."""

import csv
import hashlib
import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, admin_headers, organisation, professional
from tests.integration.vault.helpers import blob_of
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import SAME_ORIGIN, add_paper, signed_up
from tests.samples import pdf, png
from vault.accounts import hold
from vault.db import transaction
from vault.keylife.rotation import Reencryption, reencrypt
from vault.models import Person, utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys

EXPORT = "/api/v1/vaults/me/export"


def added(client: TestClient, who: dict[str, Any], content: bytes, **fields: str) -> str:
    answer = upload(client, who, content, **fields)
    assert answer.status_code == 201, answer.text
    document_id: str = answer.json()["id"]
    return document_id


def archive_of(answer: Any) -> zipfile.ZipFile:
    assert answer.status_code == 200, answer.text
    return zipfile.ZipFile(io.BytesIO(answer.content))


def test_every_paper_byte_for_byte_with_manifest_and_journal(
    client: TestClient, amina: dict[str, Any]
) -> None:
    card, twin, photo, sneaky = pdf("card"), pdf("twin"), png(20, 20), pdf("sneaky")
    added(client, amina, card, title="Carte d'identité", expires_on="2020-01-01")
    added(client, amina, twin, title="Carte d'identité")
    added(client, amina, photo, title="Attestation CAF", category="income")
    added(client, amina, sneaky, title="../../etc/passwd", category="other")

    answer = client.get(EXPORT, headers=amina["headers"])
    archive = archive_of(answer)
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["cache-control"] == "no-store"
    name = f"coffre-{utcnow().date().isoformat()}.zip"
    assert answer.headers["content-disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    )
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [
        "identite/Carte d'identité.pdf",
        "identite/Carte d'identité (2).pdf",
        "revenus-et-aides/Attestation CAF.png",
        "autre/etc passwd.pdf",
        "manifest.json",
        "journal.csv",
    ]
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    for name, content in zip(names, (card, twin, photo, sneaky), strict=False):
        assert archive.read(name) == content

    manifest = json.loads(archive.read("manifest.json"))
    first = manifest["papers"][0]
    assert first["path"] == names[0]
    assert first["title"] == "Carte d'identité"
    assert first["category"] == "identity"
    assert first["content_type"] == "application/pdf"
    assert first["size"] == len(card)
    assert first["sha256"] == hashlib.sha256(card).hexdigest()
    assert first["expires_on"] == "2020-01-01"
    assert first["expiry"] == "expired"
    assert first["added_by"] == "Amina Diallo"
    assert first["created_at"]
    assert manifest["papers"][3]["title"] == "../../etc/passwd"
    assert manifest["papers"][2]["expiry"] is None

    rows = list(csv.reader(io.StringIO(archive.read("journal.csv").decode("utf-8-sig"))))
    assert rows[0] == ["date", "who", "organisation", "what", "paper"]
    assert ["Vous avez ajouté « Attestation CAF »."] == [
        r[3] for r in rows if r[4] == "Attestation CAF"
    ]
    assert rows[-1][3] == "Vous avez pris tous vos papiers dans un fichier ZIP."


def test_papers_in_the_bin_come_in_a_folder_of_their_own(
    client: TestClient, amina: dict[str, Any]
) -> None:
    """Everything is everything: a paper waiting in the bin (which a helper may have put there)
    is still the person's until the bin erases it."""
    kept, thrown = pdf("kept"), pdf("thrown")
    added(client, amina, kept, title="Gardé")
    binned = added(client, amina, thrown, title="Jeté", category="income")
    deleted = client.delete(f"/api/v1/documents/{binned}", headers=amina["headers"])
    assert deleted.status_code == 204

    archive = archive_of(client.get(EXPORT, headers=amina["headers"]))
    assert archive.namelist()[:2] == ["identite/Gardé.pdf", "corbeille/revenus-et-aides/Jeté.pdf"]
    assert archive.read("identite/Gardé.pdf") == kept
    assert archive.read("corbeille/revenus-et-aides/Jeté.pdf") == thrown
    manifest = json.loads(archive.read("manifest.json"))
    assert [(p["title"], p["deleted_at"] is not None) for p in manifest["papers"]] == [
        ("Gardé", False),
        ("Jeté", True),
    ]


def test_every_paper_unzips_whatever_the_letters_of_its_title(
    client: TestClient, amina: dict[str, Any], tmp_path: Path
) -> None:
    """A file system takes names of at most 255 bytes: 80 emoji are 320 bytes in UTF-8, and
    unzipping left that paper out (« File name too long »)."""
    houses, arabic = pdf("houses"), pdf("arabic")
    added(client, amina, houses, title="\U0001f3e0" * 150)
    added(client, amina, arabic, title="بطاقة الإقامة " * 12)
    added(client, amina, houses, title="\U0001f3e0" * 150)

    archive = archive_of(client.get(EXPORT, headers=amina["headers"]))
    archive.extractall(tmp_path)

    papers = [name for name in archive.namelist() if "/" in name]
    assert len(papers) == 3
    assert all(len(name.split("/")[1].encode()) <= 255 for name in papers)
    assert [(tmp_path / name).read_bytes() for name in papers] == [houses, arabic, houses]


def test_an_empty_vault_still_gives_its_manifest_and_journal(
    client: TestClient, amina: dict[str, Any]
) -> None:
    archive = archive_of(client.get(EXPORT, headers=amina["headers"]))
    assert archive.namelist() == ["manifest.json", "journal.csv"]


def test_the_export_is_journaled(client: TestClient, amina: dict[str, Any]) -> None:
    assert client.get(EXPORT, headers=amina["headers"]).status_code == 200
    journal = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert journal[0]["action"] == "export_made"
    assert journal[0]["actor_id"] == amina["user"]["id"]


def test_only_the_owner_may_take_everything(
    client: TestClient, rt: Runtime, amina: dict[str, Any], bruno: dict[str, Any]
) -> None:
    """A counsellor holding every scope takes papers one by one, never all at once: 404, as
    for anything not theirs to see."""
    added(client, amina, pdf("mine"))
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    given = client.post(
        "/api/v1/grants",
        headers=amina["headers"],
        json={
            "counsellor_id": claire["id"],
            "scopes": ["view", "upload", "manage", "recover"],
            "current_password": PASSWORD,
        },
    )
    assert given.status_code == 201, given.text
    own_vault = f"/api/v1/vaults/{amina['vault_id']}/export"
    for who in (claire["headers"], bruno["headers"], admin):
        answer = client.get(own_vault, headers=who)
        assert answer.status_code == 404
        assert answer.json()["detail"] == "Ce coffre n'existe pas."
    assert client.get(EXPORT, headers=claire["headers"]).status_code == 404
    assert client.get(own_vault).status_code == 401
    actions = [e["action"] for e in client.get("/api/v1/journal", headers=amina["headers"]).json()]
    assert "export_made" not in actions


def test_a_paper_that_cannot_be_read_stops_the_stream(
    client: TestClient, rt: Runtime, amina: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    added(client, amina, pdf("fine"), title="Bon papier")
    broken = added(client, amina, pdf("broken", padding=2_000_000), title="Papier abîmé")
    name = blob_of(rt, broken).object_name
    stored = bytearray(b"".join(rt.store.get(name)))
    # Past its first piece (up to about 1 MiB): a damaged start leaves the paper out instead.
    stored[len(stored) * 3 // 4] ^= 1
    rt.store.put(name, [bytes(stored)])

    # The fault goes up to the server, which cuts the connection (a real one: the live-server
    # log tests); this client hands back what was sent before it instead of raising.
    cutting = TestClient(client.app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        answer = cutting.get(EXPORT, headers=amina["headers"])
    # One line, ids only, no traceback.
    [line] = [r for r in caplog.records if broken in r.getMessage()]
    assert line.exc_info is None
    assert "abîmé" not in line.getMessage()
    # What a client receives is cut short: no central directory, not a ZIP anyone can open.
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(answer.content))


def test_the_account_page_gives_the_same_archive(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    paper = pdf("page")
    assert add_paper(client, csrf, paper).status_code == 200
    account = client.get("/compte").text
    assert 'action="/compte/export"' in account
    answer = client.post("/compte/export", data={"csrf": csrf}, headers=SAME_ORIGIN)
    archive = archive_of(answer)
    assert archive.read("identite/Ma carte.pdf") == paper
    assert client.post("/compte/export", data={}, headers=SAME_ORIGIN).status_code == 403


def test_a_professional_has_nothing_to_take(client: TestClient, rt: Runtime) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    assert client.get(EXPORT, headers=claire["headers"]).status_code == 404


def test_papers_closed_after_an_assisted_reset_cannot_be_taken(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """Whoever holds the account after a reset made with a counsellor gets no more than that
    counsellor: taking everything waits, like new recovery codes do."""
    added(client, amina, pdf("held"))
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    with transaction(rt.sessions) as db:
        hold.start(
            db,
            rt.settings,
            db.get_one(Person, amina["user"]["id"]),
            db.get_one(Person, claire["id"]),
            None,
        )
    answer = client.get(EXPORT, headers=amina["headers"])
    assert answer.status_code == 423
    assert answer.json()["detail"].startswith(
        "Pendant que vos papiers sont fermés, vous ne pouvez pas prendre tous vos papiers."
    )


def test_an_export_during_a_reencryption_keeps_every_paper(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    notice, permit = pdf("avis"), pdf("titre")
    papers = {
        added(client, amina, notice, title="Avis d'imposition", category="taxes"): notice,
        added(client, amina, permit, title="Titre de séjour", category="residence"): permit,
    }
    real_get = rt.store.get
    reencrypted: list[Reencryption] = []

    def get_then_reencrypt(name: str) -> Any:
        stream = real_get(name)
        if not reencrypted:
            # The export has opened its first paper; `coffre keys reencrypt` runs now (its own
            # reads go straight through), and removes the object noted for the second paper.
            monkeypatch.setattr(rt.store, "get", real_get)
            reencrypted.append(reencrypt(rt, "amina.diallo", 20, lambda _done: None))
        return stream

    monkeypatch.setattr(rt.store, "get", get_then_reencrypt)
    archive = archive_of(client.get(EXPORT, headers=amina["headers"]))
    assert reencrypted == [Reencryption(4, [])]  # both papers and their thumbnails
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["unreadable"] == []
    assert {p["id"]: archive.read(p["path"]) for p in manifest["papers"]} == papers
