"""The one rule for blob names, shared by every back end.

Both stores accept exactly the same names, so blobs can move from one store to another.
Names become file names in the local store: the rule rules out path traversal, hidden files
(a leading dot, which also keeps names apart from the local store's `.tmp/` folder) and
anything a file system could not hold.
"""

import re

MAX_NAME_LENGTH = 255  # NAME_MAX of common file systems; S3 allows 1024

_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def check_name(name: str) -> str:
    """Return `name` unchanged if it is a valid blob name, else raise ValueError."""
    if len(name) > MAX_NAME_LENGTH or ".." in name or _NAME.fullmatch(name) is None:
        # repr() bounded so a hostile name cannot flood the logs
        raise ValueError(f"invalid blob name: {name[:64]!r}")
    return name
