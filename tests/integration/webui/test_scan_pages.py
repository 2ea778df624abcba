"""« Ajouter un papier » without JavaScript: several photos in the one file input make one paper;
the list shows each paper's thumbnail, or the icon when it has none."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.vault.helpers import counts, thumbnails_drawn_with
from tests.integration.webui.test_pages import SAME_ORIGIN, signed_up
from tests.samples import pdf, phone_photo
from vault.runtime import Runtime


def add(client: TestClient, csrf: str, *files: tuple[str, bytes]) -> Any:
    return client.post(
        "/papiers/ajouter",
        data={"csrf": csrf, "category": "identity", "title": "Ma carte"},
        files=[("file", (name, content, "image/jpeg")) for name, content in files],
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )


def test_the_file_input_opens_the_camera_and_takes_several_files(client: TestClient) -> None:
    signed_up(client)
    form = client.get("/papiers/ajouter").text
    assert 'accept="image/*,application/pdf" multiple' in form
    assert "capture=" not in form
    assert '<script src="/static/photos.js" defer></script>' in form


def test_two_photos_make_one_paper_shown_with_its_thumbnail(
    client: TestClient, rt: Runtime
) -> None:
    csrf = signed_up(client)
    added = add(
        client, csrf, ("recto.jpg", phone_photo(orientation=6)), ("verso.jpg", phone_photo())
    )
    assert added.status_code == 200, added.text
    assert "Le papier est bien dans votre coffre" in added.text
    document_id = str(added.url.path).split("/")[2]
    assert client.get(f"/papiers/{document_id}/fichier").content.startswith(b"%PDF-")

    listed = client.get("/papiers").text
    assert f'<img class="card-thumbnail" src="/papiers/{document_id}/vignette" alt=""' in listed
    small = client.get(f"/papiers/{document_id}/vignette")
    assert small.status_code == 200
    assert small.headers["content-type"] == "image/jpeg"
    assert small.headers["cache-control"] == "no-store"
    assert counts(rt) == (1, 2, 2)


def test_a_paper_without_thumbnail_keeps_the_icon(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf = signed_up(client)
    thumbnails_drawn_with(monkeypatch, preview_memory_mib=8)
    added = add(client, csrf, ("avis.pdf", pdf("sans vignette")))
    assert added.status_code == 200, added.text
    document_id = str(added.url.path).split("/")[2]
    listed = client.get("/papiers").text
    assert "card-thumbnail" not in listed
    assert '<span class="card-icon" aria-hidden="true">📄</span>' in listed
    assert client.get(f"/papiers/{document_id}/vignette").status_code == 404


def test_a_pdf_with_photos_is_refused_with_the_error_summary(
    client: TestClient, rt: Runtime
) -> None:
    csrf = signed_up(client)
    answer = add(client, csrf, ("recto.jpg", phone_photo()), ("avis.pdf", pdf()))
    assert answer.status_code == 422
    assert "Il y a un problème" in answer.text
    assert 'href="#file"' in answer.text
    assert "Envoyez soit des photos, soit un seul PDF." in answer.text
    assert 'value="Ma carte"' in answer.text
    assert counts(rt) == (0, 0, 0)
