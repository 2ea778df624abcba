"""The versions of a KMS master key live in the KMS (one alias per version), not in an instance's
folder: two instances on the same key see each other's rotations and retirements at once, two
rotations at once cannot both make the same version, and an older install's kms-keys.json is
carried over once."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import boto3
import pytest

from keys.errors import KeyringError
from keys.providers.kms import CARRIED_OVER_SUFFIX, KmsKeyring, alias_prefix
from vault.wiring import LEGACY_KMS_STATE, open_keyring

pytestmark = pytest.mark.kms
AAD = b"person 1, user key 1"
KEY = bytes(range(32))


def kms_of(url: str) -> tuple[Any, str]:
    """A client of the test KMS, and the key id the COFFRE_KEYRING URL names."""
    parsed = urlparse(url)
    endpoint = parse_qs(parsed.query)["endpoint_url"][0]
    client = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1")
    return client, unquote(parsed.netloc + parsed.path)


def aliases(client: Any, first_key_id: str) -> dict[str, str]:
    prefix = alias_prefix(first_key_id)
    listed = client.list_aliases()["Aliases"]
    return {a["AliasName"]: a["TargetKeyId"] for a in listed if a["AliasName"].startswith(prefix)}


def test_a_rotation_through_one_instance_is_seen_by_the_other(
    kms_key_url: str, tmp_path: Path
) -> None:
    first = open_keyring(kms_key_url, tmp_path / "a")
    second = open_keyring(kms_key_url, tmp_path / "b")
    assert first.versions() == second.versions() == [1]
    assert first.add_version() == 2
    wrapped_under_2 = first.wrap(KEY, AAD)
    assert wrapped_under_2[0] == 2
    # The other instance opens it at once: an unknown version is looked up in the KMS.
    assert second.unwrap(*wrapped_under_2, AAD) == KEY
    assert second.versions() == [1, 2]
    assert second.primary_version() == 2
    first.remove_version(1)
    assert second.versions() == [2]
    with pytest.raises(KeyringError):
        second.remove_version(2)  # the primary
    # Nothing of this was written to either instance's folder.
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "b").exists()


def test_new_wraps_follow_a_rotation_made_elsewhere(kms_key_url: str) -> None:
    client, first_key_id = kms_of(kms_key_url)
    serving = KmsKeyring.open(client, first_key_id, refresh_seconds=0)
    rotating = KmsKeyring.open(client, first_key_id)
    assert serving.wrap(KEY, AAD)[0] == 1
    rotating.add_version()
    version, wrapped = serving.wrap(KEY, AAD)
    assert version == 2
    assert rotating.unwrap(version, wrapped, AAD) == KEY


class MeanwhileClient:
    """The KMS client of one process, where another process makes a version just as this one
    asks for a new key (after it has read the versions, before it names its own)."""

    def __init__(self, inner: Any, other: KmsKeyring) -> None:
        self.inner, self.other = inner, other
        self.created: list[str] = []

    def create_key(self, **options: Any) -> Any:
        self.other.add_version()
        answer = self.inner.create_key(**options)
        self.created.append(answer["KeyMetadata"]["KeyId"])
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_two_processes_cannot_both_make_the_same_version(kms_key_url: str) -> None:
    client, first_key_id = kms_of(kms_key_url)
    other = KmsKeyring.open(client, first_key_id)
    racing = MeanwhileClient(client, other)
    this = KmsKeyring.open(racing, first_key_id)
    with pytest.raises(KeyringError, match="another process"):
        this.add_version()
    assert this.versions() == [1, 2]
    made_by_other = aliases(client, first_key_id)[f"{alias_prefix(first_key_id)}2"]
    assert made_by_other not in racing.created
    # The key this process made for nothing is on its way out.
    state = client.describe_key(KeyId=racing.created[0])["KeyMetadata"]["KeyState"]
    assert state == "PendingDeletion"


def legacy_state(data_dir: Path, primary: int, versions: dict[int, str]) -> Path:
    """The file an older coffre kept in its data folder."""
    data_dir.mkdir(parents=True)
    path = data_dir / LEGACY_KMS_STATE
    doc = {"format": "coffre-kms/1", "primary": primary, "versions": versions}
    path.write_text(json.dumps({**doc, "versions": {str(v): k for v, k in versions.items()}}))
    return path


def test_an_older_install_is_carried_over_once(kms_key_url: str, tmp_path: Path) -> None:
    client, first_key_id = kms_of(kms_key_url)
    second_key = client.create_key(Description="coffre master key")["KeyMetadata"]["KeyId"]
    third_key = client.create_key(Description="coffre master key")["KeyMetadata"]["KeyId"]
    # Version 1 was retired before the upgrade: it is no longer listed.
    path = legacy_state(tmp_path / "old", 3, {2: second_key, 3: third_key})
    upgraded = open_keyring(kms_key_url, tmp_path / "old")
    assert upgraded.versions() == [2, 3]
    assert upgraded.primary_version() == 3
    prefix = alias_prefix(first_key_id)
    assert aliases(client, first_key_id) == {f"{prefix}2": second_key, f"{prefix}3": third_key}
    assert not path.exists()
    assert path.with_name(LEGACY_KMS_STATE + CARRIED_OVER_SUFFIX).exists()
    # What it wrapped under version 3 opens through a fresh instance without the file.
    wrapped = upgraded.wrap(KEY, AAD)
    fresh = open_keyring(kms_key_url, tmp_path / "new")
    assert fresh.versions() == [2, 3]
    assert fresh.unwrap(*wrapped, AAD) == KEY


def test_a_malformed_or_odd_older_file_is_refused(kms_key_url: str, tmp_path: Path) -> None:
    client, first_key_id = kms_of(kms_key_url)
    path = legacy_state(tmp_path / "odd", 1, {1: first_key_id, 2: first_key_id})
    with pytest.raises(KeyringError, match="primary"):
        open_keyring(kms_key_url, tmp_path / "odd")
    path.write_text("{not json")
    with pytest.raises(KeyringError, match="malformed"):
        open_keyring(kms_key_url, tmp_path / "odd")
    assert aliases(client, first_key_id) == {}
