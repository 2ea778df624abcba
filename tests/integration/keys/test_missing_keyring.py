"""Crash-safety review: a keyring file missing on an instance that already has accounts (its
folder not mounted, the file moved, another COFFRE_KEYRING for one run) was replaced by a new
one at the next start, which answered ready: the accounts made meanwhile got keys that the real
keyring, put back, could not open, and the real one could no longer be imported over it."""

from pathlib import Path

import pytest

from tests.app_fixtures import PASSWORD
from tests.integration.keys.test_kms_versions import aliases, kms_of
from vault.accounts.accounts import create_person
from vault.config import Settings
from vault.db import transaction
from vault.errors import CannotStart
from vault.runtime import Runtime
from vault.wiring import build_runtime, keyring_path


def an_account(rt: Runtime) -> None:
    with transaction(rt.sessions) as db:
        create_person(
            db,
            rt.master_keys,
            login="amina",
            display_name="Amina",
            password=PASSWORD,
            role="beneficiary",
        )


def test_a_keyring_gone_from_an_instance_with_accounts_is_not_made_again(
    rt: Runtime, settings: Settings
) -> None:
    an_account(rt)
    path = keyring_path(settings.resolved_keyring())
    moved = path.with_name("elsewhere.json")
    path.rename(moved)

    with pytest.raises(CannotStart) as refusal:
        build_runtime(settings)
    (problem,) = refusal.value.problems
    assert f"the keyring {path} is missing, but the database holds keys" in problem
    assert not path.exists()

    moved.rename(path)
    build_runtime(settings).engine.dispose()


def test_the_first_start_makes_the_keyring(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    build_runtime(settings).engine.dispose()
    assert keyring_path(settings.resolved_keyring()).exists()


@pytest.mark.kms
def test_a_kms_key_without_versions_is_not_named_once_there_are_accounts(
    rt: Runtime, settings: Settings, kms_key_url: str
) -> None:
    """The same with a KMS keyring: COFFRE_KEYRING naming, for one run, a key of the KMS that
    no keyring uses yet (a typo, the key of another instance) named it version 1 of a new
    keyring, which the accounts made meanwhile then depended on."""
    an_account(rt)
    client, other_key = kms_of(kms_key_url)
    with pytest.raises(CannotStart, match="lists no master key version"):
        build_runtime(settings.model_copy(update={"keyring": kms_key_url}))
    assert aliases(client, other_key) == {}
