"""A COFFRE_STORAGE_URL or COFFRE_KEYRING that names the wrong place on an instance that holds
papers (a typo in the bucket, folder or prefix, another instance's keyring file, a `coffre keys
import` of the wrong backup) stops it before it starts: it used to answer /readyz 200 and take
new papers that the right store or keyring, put back, could not open."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import sign_up
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.config import Settings
from vault.errors import CannotStart
from vault.runtime import Runtime
from vault.wiring import build_runtime
from webui.app import create_app


def a_paper(rt: Runtime) -> None:
    with TestClient(create_app(runtime=rt), base_url="http://coffre.test") as client:
        assert upload(client, sign_up(client, "amina"), pdf("quittance")).status_code == 201


def test_a_store_that_holds_none_of_the_papers_is_refused(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    a_paper(rt)
    typo = settings.model_copy(update={"storage_url": (tmp_path / "blobz").as_uri()})
    with pytest.raises(CannotStart, match=r"holds none of the \d+ newest objects"):
        build_runtime(typo).engine.dispose()
    build_runtime(settings).engine.dispose()  # the right one starts


def test_another_instances_keyring_is_refused(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    a_paper(rt)
    other = Settings(_env_file=None, data_dir=tmp_path / "other")
    build_runtime(other).engine.dispose()  # makes the other instance's keyring
    wrong = settings.model_copy(update={"keyring": other.resolved_keyring()})
    with pytest.raises(CannotStart, match="does not open the keys this database holds"):
        build_runtime(wrong).engine.dispose()
    build_runtime(settings).engine.dispose()
