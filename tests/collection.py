"""Deselecting collected tests from a collection hook, as -m or -k would: reported as
deselected in pytest's summary, not silently dropped."""

from collections.abc import Callable

import pytest


def keep_only(
    config: pytest.Config, items: list[pytest.Item], keep: Callable[[pytest.Item], bool]
) -> None:
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if keep(item) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
