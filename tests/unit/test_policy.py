"""The policy on its own, without a database: roles, scopes, categories, private papers,
grants combined, and what each action needs."""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from vault.config import Settings
from vault.documents.categories import Category
from vault.models import Document, Grant, GrantCategory, GrantScope, Person, Vault, utcnow
from vault.policy import (
    Access,
    Action,
    grant_covers,
    grant_is_current,
    is_beneficiary,
    is_platform_admin,
    is_professional,
    manages_members,
    may_create_organisation,
    may_manage_members,
    may_see_keys_page,
    may_use_second_factor,
    must_use_second_factor,
    needs,
)
from vault.vocabulary import GrantStatus, MemberRole, Role, Scope

ROOT = Path(__file__).resolve().parents[2]
# A person's or a membership's role compared to something; a blob's role is another matter.
ROLE_COMPARISON = re.compile(r"(?<![Bb]lob)\.role\s*(==|!=|in\b|not in\b)|(?<![.\w])role\s*(==|!=)")


def person(role: Role) -> Person:
    return Person(id=f"id-{role}", login=str(role), display_name=str(role), role=role)


def grant(*scopes: Scope, categories: tuple[Category, ...] = (), **fields: object) -> Grant:
    now = utcnow()
    values: dict[str, object] = {
        "status": GrantStatus.ACTIVE,
        "expires_at": now + timedelta(days=1),
        "last_used_at": now,
        **fields,
    }
    return Grant(
        scope_rows=[GrantScope(scope=s) for s in scopes],
        category_rows=[GrantCategory(category=c) for c in categories],
        **values,
    )


def paper(category: Category = Category.IDENTITY, private: bool = False) -> Document:
    return Document(category=category, private=private)


def access(action: Action, *grants: Grant) -> Access | None:
    """What `vault_access` builds from a professional's current grants."""
    by_scope = {
        scope: tuple(g for g in grants if scope in {r.scope for r in g.scope_rows})
        for scope in needs(action)
    }
    return Access(Vault(id="v", owner_id="o"), by_scope) if all(by_scope.values()) else None


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.BENEFICIARY, (True, False, False, False, False, False, False)),
        (Role.COUNSELLOR, (False, True, False, False, False, True, False)),
        (Role.ORG_ADMIN, (False, True, False, False, True, True, False)),
        (Role.ADMIN, (False, False, True, True, True, True, True)),
    ],
)
def test_what_each_role_may_do(role: Role, expected: tuple[bool, ...]) -> None:
    someone = person(role)
    assert (
        is_beneficiary(someone),
        is_professional(someone),
        is_platform_admin(someone),
        may_see_keys_page(someone) and may_create_organisation(someone),
        may_manage_members(someone),
        may_use_second_factor(someone),
        must_use_second_factor(someone),
    ) == expected


def test_only_an_organisation_admin_manages_its_members() -> None:
    assert manages_members(MemberRole.ORG_ADMIN)
    assert not manages_members(MemberRole.COUNSELLOR)


def test_the_owner_sees_everything_in_their_vault() -> None:
    owner = Access(Vault(id="v", owner_id="o"))
    assert owner.is_owner
    assert owner.shows(paper(private=True))
    assert owner.grant_for(paper()) is None


def test_a_grant_never_covers_a_private_paper_nor_other_categories() -> None:
    limited = grant(Scope.VIEW, categories=(Category.IDENTITY,))
    assert grant_covers(limited, paper(Category.IDENTITY))
    assert not grant_covers(limited, paper(Category.BANK))
    assert not grant_covers(limited, paper(Category.IDENTITY, private=True))
    assert grant_covers(grant(Scope.VIEW), paper(Category.BANK))
    assert not grant_covers(grant(Scope.VIEW), paper(private=True))


def test_grants_add_up_each_for_its_own_categories() -> None:
    identity = grant(Scope.VIEW, categories=(Category.IDENTITY,))
    bank = grant(Scope.VIEW, categories=(Category.BANK,))
    both = access(Action.VIEW, identity, bank)
    assert both is not None
    assert both.shows(paper(Category.IDENTITY))
    assert both.shows(paper(Category.BANK))
    assert not both.shows(paper(Category.HEALTH))
    assert both.grant_for(paper(Category.BANK)) is bank


def test_changing_a_paper_needs_to_see_it() -> None:
    assert needs(Action.MANAGE) == (Scope.MANAGE, Scope.VIEW)
    assert access(Action.MANAGE, grant(Scope.MANAGE)) is None
    assert access(Action.VIEW, grant(Scope.MANAGE)) is None
    split = access(
        Action.MANAGE,
        grant(Scope.VIEW),
        grant(Scope.MANAGE, categories=(Category.IDENTITY,)),
    )
    assert split is not None
    assert split.shows(paper(Category.IDENTITY))
    assert not split.shows(paper(Category.BANK))


def test_each_action_needs_its_scope() -> None:
    assert access(Action.UPLOAD, grant(Scope.VIEW)) is None
    assert access(Action.DOWNLOAD, grant(Scope.VIEW)) is not None
    assert access(Action.RECOVER, grant(Scope.VIEW, Scope.UPLOAD, Scope.MANAGE)) is None
    assert access(Action.RECOVER, grant(Scope.RECOVER)) is not None


@pytest.mark.parametrize(
    ("fields", "current"),
    [
        ({}, True),
        ({"status": GrantStatus.PENDING}, False),
        ({"status": GrantStatus.REVOKED}, False),
        ({"expires_at": utcnow() - timedelta(seconds=1)}, False),
        ({"last_used_at": utcnow() - timedelta(days=181)}, False),
    ],
)
def test_a_grant_is_current_only_while_active_in_time_and_used(
    fields: dict[str, Any], current: bool
) -> None:
    settings = Settings(_env_file=None)
    assert grant_is_current(grant(Scope.VIEW, **fields), settings, utcnow()) is current


def role_comparisons(path: Path) -> list[str]:
    """Lines that compare a role (`.role ==`, `role in (...)`...), in code or in a template."""
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        code = line.split("#")[0] if path.suffix == ".py" else line
        if ROLE_COMPARISON.search(code):
            found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_no_role_is_decided_outside_the_policy() -> None:
    """Every role decision is a function of vault/policy.py; routes use typed dependencies."""
    sources = [
        *(ROOT / "webui").rglob("*.py"),
        *(ROOT / "webui").rglob("*.html"),
        *(ROOT / "vault").rglob("*.py"),
    ]
    allowed = {ROOT / "vault" / "policy.py"}
    offenders = [line for path in sources if path not in allowed for line in role_comparisons(path)]
    assert offenders == []


def test_webui_reads_roles_only_to_describe_people_in_the_api() -> None:
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "webui").rglob("*.py")
        if ".role" in path.read_text().replace("body.role", "")
    )
    assert readers == ["webui/api/schemas.py"]
