"""The authorisation matrix, generated from the app's own route table: every route x every
role x the expected answer. A new route without an entry in RULES fails this test."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from tests.app_fixtures import PASSWORD
from tests.integration.shares.helpers import share_now
from tests.samples import pdf
from vault.accounts import second_factor
from vault.accounts.accounts import create_person, vault_of
from vault.accounts.sessions import open_session
from vault.config import Settings
from vault.consent.grants import GrantTerms, create_grant, request_access, revoke
from vault.db import transaction
from vault.documents.previews import add_thumbnail
from vault.documents.service import (
    DocumentFields,
    create_document,
    delete_document,
    plan_upload,
    store_upload,
)
from vault.documents.shares import ShareTerms
from vault.models import Membership, Organisation, Person, utcnow
from vault.policy import SCOPES
from vault.runtime import Runtime
from webui.app import create_app

ACTORS = (
    "anonymous",
    "owner",
    "other_beneficiary",
    "counsellor_granted",
    "counsellor_no_grant",
    "counsellor_expired",
    "counsellor_revoked",
    "counsellor_view_only",
    "counsellor_taxes_only",
    "org_admin",
    "admin",
)
COUNSELLORS = (*(a for a in ACTORS if a.startswith("counsellor")), "org_admin")
BENEFICIARIES = ("owner", "other_beneficiary")

# Rule -> the actors that get through; everyone else is refused (401 or a redirect to sign in
# when anonymous, 403 or 404 otherwise; 404 whenever the target belongs to someone else).
RULE_ALLOWS: dict[str, tuple[str, ...]] = {
    "public": ACTORS,
    "signed_in": ACTORS[1:],
    "beneficiary": BENEFICIARIES,
    "professional": COUNSELLORS,
    "admin": ("admin",),
    "org_manager": ("org_admin", "admin"),
    "vault_view": ("owner", "counsellor_granted", "counsellor_view_only", "counsellor_taxes_only"),
    "vault_upload": ("owner", "counsellor_granted", "counsellor_taxes_only"),
    "document_view": ("owner", "counsellor_granted", "counsellor_view_only"),
    "document_manage": ("owner", "counsellor_granted"),
    "document_owner": ("owner",),
    "vault_owner": ("owner",),
    "grant_owner": ("owner",),
    "recover_scope": ("counsellor_granted", "counsellor_taxes_only"),
    "sign_up_or_in_person": ("anonymous", *COUNSELLORS),
    "org_admin_page": ("org_admin",),
    "vault_of_a_granted_person": (
        "counsellor_granted",
        "counsellor_view_only",
        "counsellor_taxes_only",
    ),
}

RULES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "metrics_token",
    ("GET", "/api/docs"): "public",
    ("GET", "/api/docs/swagger-ui.css"): "public",
    ("GET", "/api/docs/swagger-ui-bundle.js"): "public",
    ("POST", "/api/v1/session"): "public",
    ("DELETE", "/api/v1/session"): "signed_in",
    ("GET", "/api/v1/sessions"): "signed_in",
    ("DELETE", "/api/v1/sessions"): "signed_in",
    ("GET", "/api/v1/me"): "signed_in",
    ("PATCH", "/api/v1/me"): "signed_in",
    ("POST", "/api/v1/me/password"): "signed_in",
    ("POST", "/api/v1/me/recovery-codes"): "signed_in",
    ("GET", "/api/v1/me/second-factor/new"): "professional_or_admin",
    ("POST", "/api/v1/me/second-factor"): "professional_or_admin",
    ("DELETE", "/api/v1/people/{person_id}/second-factor"): "admin",
    ("POST", "/api/v1/recovery"): "public",
    ("GET", "/api/v1/login-suggestion"): "public",
    ("POST", "/api/v1/beneficiaries"): "sign_up_or_in_person",
    ("GET", "/api/v1/beneficiaries"): "professional",
    ("POST", "/api/v1/beneficiaries/{person_id}/reset-code"): "recover_scope",
    ("DELETE", "/api/v1/beneficiaries/{person_id}/sign-in-delay"): "recover_scope",
    ("POST", "/api/v1/beneficiaries/{person_id}/password"): "recover_scope",
    ("POST", "/api/v1/me/unlock"): "signed_in",
    ("GET", "/api/v1/journal"): "signed_in",
    ("POST", "/api/v1/organisations"): "admin",
    ("GET", "/api/v1/organisations"): "signed_in",
    ("POST", "/api/v1/organisations/{org_id}/counsellors"): "org_manager",
    ("GET", "/api/v1/organisations/{org_id}/counsellors"): "org_manager",
    ("POST", "/api/v1/organisations/{org_id}/members"): "org_manager",
    ("DELETE", "/api/v1/organisations/{org_id}/counsellors/{member_id}"): "org_manager",
    ("PATCH", "/api/v1/organisations/{org_id}/counsellors/{member_id}"): "org_manager",
    ("POST", "/api/v1/grants"): "beneficiary",
    ("GET", "/api/v1/grants"): "signed_in",
    ("DELETE", "/api/v1/grants/{grant_id}"): "grant_owner",
    ("POST", "/api/v1/grants/{grant_id}/accept"): "grant_owner",
    ("POST", "/api/v1/grants/{grant_id}/refuse"): "grant_owner",
    ("POST", "/api/v1/access-requests"): "professional",
    ("GET", "/api/v1/vaults/{vault_id}/documents"): "vault_view",
    ("GET", "/api/v1/vaults/{vault_id}/bin"): "vault_owner",
    ("POST", "/api/v1/documents/{document_id}/restore"): "document_owner",
    ("GET", "/corbeille"): "signed_in",
    ("POST", "/corbeille/{document_id}/remettre"): "document_owner",
    ("POST", "/api/v1/vaults/{vault_id}/documents"): "vault_upload",
    ("GET", "/api/v1/documents/{document_id}"): "document_view",
    ("PATCH", "/api/v1/documents/{document_id}"): "document_manage",
    ("DELETE", "/api/v1/documents/{document_id}"): "document_manage",
    ("GET", "/api/v1/documents/{document_id}/content"): "document_view",
    ("GET", "/api/v1/vaults/{vault_id}/export"): "vault_owner",
    ("POST", "/api/v1/documents/{document_id}/shares"): "document_view",
    ("GET", "/api/v1/documents/{document_id}/shares"): "document_view",
    ("DELETE", "/api/v1/shares/{share_id}"): "document_view",
    ("GET", "/api/v1/documents/{document_id}/thumbnail"): "document_view",
    ("POST", "/api/v1/documents/{document_id}/report"): "document_view",
    ("GET", "/"): "public",
    ("GET", "/connexion"): "public",
    ("POST", "/connexion"): "public",
    ("GET", "/connexion/code"): "public",
    ("POST", "/connexion/code"): "public",
    ("GET", "/inscription"): "public",
    ("POST", "/inscription"): "public",
    ("GET", "/mot-de-passe-oublie"): "public",
    ("POST", "/mot-de-passe-oublie"): "public",
    ("POST", "/quitter"): "public",
    ("GET", "/au-revoir"): "public",
    ("GET", "/inactivite.css"): "public",
    ("GET", "/langue/{code}"): "public",
    ("POST", "/rester-connecte"): "signed_in",
    ("GET", "/protection"): "public",
    ("GET", "/qui-gere"): "public",
    ("GET", "/aide"): "public",
    ("GET", "/compte"): "signed_in",
    ("POST", "/compte/mot-de-passe"): "signed_in",
    ("GET", "/compte/premier-mot-de-passe"): "signed_in",
    ("POST", "/compte/premier-mot-de-passe"): "signed_in",
    ("POST", "/compte/codes"): "signed_in",
    ("POST", "/compte/infos"): "signed_in",
    ("POST", "/compte/nom"): "beneficiary",
    ("POST", "/compte/double-verification"): "professional_or_admin",
    ("POST", "/compte/deconnecter-partout"): "signed_in",
    ("POST", "/compte/export"): "beneficiary",
    ("GET", "/acces"): "signed_in",
    ("POST", "/acces/{grant_id}"): "grant_owner",
    ("GET", "/historique"): "signed_in",
    ("GET", "/papiers"): "signed_in",
    ("GET", "/papiers/ajouter"): "signed_in",
    ("POST", "/papiers/ajouter"): "vault_upload",
    ("GET", "/papiers/{document_id}"): "document_view",
    ("GET", "/papiers/{document_id}/fichier"): "document_view",
    ("GET", "/papiers/{document_id}/voir"): "document_view",
    ("GET", "/papiers/{document_id}/telecharger"): "document_view",
    ("GET", "/papiers/{document_id}/vignette"): "document_view",
    ("POST", "/papiers/{document_id}/prive"): "document_owner",
    ("GET", "/papiers/{document_id}/modifier"): "document_manage",
    ("POST", "/papiers/{document_id}/modifier"): "document_manage",
    ("POST", "/papiers/{document_id}/signaler"): "document_view",
    ("GET", "/papiers/{document_id}/supprimer"): "document_manage",
    ("POST", "/papiers/{document_id}/supprimer"): "document_manage",
    ("GET", "/papiers/{document_id}/envoyer"): "document_view",
    ("POST", "/papiers/{document_id}/envoyer"): "document_view",
    ("GET", "/papiers/{document_id}/liens"): "document_view",
    ("POST", "/liens/{share_id}/arreter"): "document_view",
    ("GET", "/s/{token}"): "public",
    ("POST", "/s/{token}"): "public",
    ("POST", "/s/{token}/copie"): "public",
    ("GET", "/personnes"): "professional",
    ("POST", "/personnes/chercher"): "professional",
    ("GET", "/personnes/nouvelle"): "professional",
    ("POST", "/personnes/nouvelle"): "professional",
    ("GET", "/personnes/demande"): "professional",
    ("POST", "/personnes/demande"): "professional",
    ("GET", "/personnes/{vault_id}"): "vault_of_a_granted_person",
    ("GET", "/personnes/{vault_id}/mot-de-passe"): "recover_scope",
    ("POST", "/personnes/{vault_id}/mot-de-passe"): "recover_scope",
    ("POST", "/personnes/{vault_id}/mot-de-passe/code"): "recover_scope",
    ("GET", "/compte/deverrouiller"): "signed_in",
    ("POST", "/compte/deverrouiller"): "signed_in",
    ("GET", "/compte/mot-de-passe-change"): "signed_in",
    ("GET", "/organisation"): "professional",
    ("GET", "/admin/cles"): "admin",
    ("POST", "/organisation/{org_id}/conseillers"): "org_admin_page",
    ("POST", "/organisation/{org_id}/membres"): "org_admin_page",
    ("GET", "/organisation/{org_id}/conseillers/{member_id}/fermer"): "org_admin_page",
    ("POST", "/organisation/{org_id}/conseillers/{member_id}/fermer"): "org_admin_page",
    ("GET", "/organisation/{org_id}/conseillers/{member_id}/nom"): "org_admin_page",
    ("POST", "/organisation/{org_id}/conseillers/{member_id}/nom"): "org_admin_page",
}
RULE_ALLOWS["professional_or_admin"] = (*COUNSELLORS, "admin")
# Only the operator's scraper, with COFFRE_METRICS_TOKEN: no person's session opens it (401).
RULE_ALLOWS["metrics_token"] = ()


def route_table(app: FastAPI) -> set[tuple[str, str]]:
    def walk(routes: list[BaseRoute], prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is not None:
                yield from walk(included.routes, prefix + (route.include_context.prefix or ""))  # type: ignore[attr-defined]
            elif isinstance(route, APIRoute):
                for method in (route.methods or set()) - {"HEAD"}:
                    yield method, prefix + route.path

    return set(walk(app.routes, ""))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The matrix is about rights, not back ends: the embedded default is enough."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        keyring=(tmp_path / "keys" / "keyring.json").as_uri(),
        throttle_base_delay_seconds=0,
        # The matrix resets the owner's password (with the same one): no hold left behind.
        assisted_reset_hold_hours=0,
        # The matrix asks for access once per route that needs a fresh request.
        access_request_limit=10_000,
        metrics_token="the scraper's own token",
    )


@dataclass
class World:
    rt: Runtime
    people: dict[str, Person] = field(default_factory=dict)
    vault_id: str = ""
    org_id: str = ""
    # The authenticator app of each actor with a second factor.
    secrets: dict[str, str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)

    def totp(self, actor: str) -> str:
        secret = self.secrets.get(actor)
        return pyotp.TOTP(secret).now() if secret else ""

    def new_document(self, thumbnail: bool = False) -> str:
        owner = self.people["owner"]
        with transaction(self.rt.sessions) as db:
            plan = plan_upload(db, self.rt, owner, self.vault_id)
        stored = store_upload(self.rt, plan, [pdf("matrix")])
        with transaction(self.rt.sessions) as db:
            document_id = create_document(
                db, self.rt, owner, stored, DocumentFields("Carte", "identity")
            ).id
        if thumbnail:
            assert add_thumbnail(self.rt, document_id)
        return document_id

    def binned_document(self) -> str:
        """A paper in the owner's bin: what the routes that take one back act on."""
        document_id = self.new_document()
        with transaction(self.rt.sessions) as db:
            delete_document(db, self.rt, self.people["owner"], document_id)
        return document_id

    def new_share(self) -> tuple[str, str]:
        """A link to a fresh paper of the owner: (its id, its token)."""
        document_id = self.new_document()
        terms = ShareTerms("CAF", "RSA", 24)
        created = share_now(self.rt, self.people["owner"], document_id, terms)
        return created.id, created.token

    def new_member(self) -> str:
        """A counsellor of the organisation, whose account the routes that close one close."""
        with transaction(self.rt.sessions) as db:
            person = create_person(
                db,
                self.rt.master_keys,
                login=f"member.{len(self.members)}",
                display_name="M",
                password=PASSWORD,
                role="counsellor",
            )
            db.add(Membership(person_id=person.id, organisation_id=self.org_id, role="counsellor"))
            self.members.append(person.id)
            return person.id

    def new_outsider(self) -> str:
        """The login of a professional of no organisation yet, whom the routes that add an
        existing account add."""
        login = f"outsider.{len(self.members)}"
        with transaction(self.rt.sessions) as db:
            person = create_person(
                db,
                self.rt.master_keys,
                login=login,
                display_name="O",
                password=PASSWORD,
                role="counsellor",
            )
            self.members.append(person.id)
        return login

    def new_request(self) -> str:
        with transaction(self.rt.sessions) as db:
            grant = request_access(
                db, self.rt, self.people["grant_target"], "owner.person", GrantTerms(["view"])
            )
            assert grant is not None
            return grant.id


def build_world(rt: Runtime) -> World:
    world = World(rt)
    with transaction(rt.sessions) as db:
        organisation = Organisation(name="CCAS")
        db.add(organisation)
        db.flush()
        world.org_id = organisation.id
        for actor in ACTORS[1:]:
            role = (
                "beneficiary"
                if actor in BENEFICIARIES
                else "admin"
                if actor == "admin"
                else "org_admin"
                if actor == "org_admin"
                else "counsellor"
            )
            login = actor.replace("_", ".")[:60]
            person = create_person(
                db,
                rt.master_keys,
                login=login if actor != "owner" else "owner.person",
                display_name=actor,
                password=PASSWORD,
                role=role,
            )
            if role in ("counsellor", "org_admin"):
                db.add(Membership(person_id=person.id, organisation_id=organisation.id, role=role))
            if role == "admin":
                world.secrets[actor] = second_factor.new_secret()
                second_factor.install(db, rt.master_keys, person, world.secrets[actor])
            world.people[actor] = person
        # Someone outside the matrix, to receive the grants the matrix itself creates.
        world.people["grant_target"] = create_person(
            db,
            rt.master_keys,
            login="grant.target",
            display_name="T",
            password=PASSWORD,
            role="counsellor",
        )
        owner = world.people["owner"]
        vault = vault_of(db, owner.id)
        assert vault is not None
        world.vault_id = vault.id
        for actor, scopes, categories in (
            ("counsellor_granted", SCOPES, ()),
            ("counsellor_expired", SCOPES, ()),
            ("counsellor_revoked", SCOPES, ()),
            ("counsellor_view_only", ("view",), ()),
            ("counsellor_taxes_only", SCOPES, ("taxes",)),
        ):
            grant = create_grant(
                db, rt, owner, GrantTerms(scopes, categories), counsellor_id=world.people[actor].id
            )
            if actor == "counsellor_expired":
                grant.expires_at = utcnow() - timedelta(minutes=1)
            if actor == "counsellor_revoked":
                revoke(db, owner, grant.id)
    return world


def credentials(world: World, actor: str, client: TestClient) -> tuple[dict[str, str], str]:
    """Fresh API and page sessions for the actor; returns (API headers, page CSRF token)."""
    client.cookies.clear()
    client.cookies.set("coffre_form", "form-token", domain="coffre.test")
    if actor == "anonymous":
        return {}, "form-token"
    with transaction(world.rt.sessions) as db:
        person = db.get_one(Person, world.people[actor].id)
        # Each request below may confirm with a code of the same time step: let it.
        person.totp_last_step = None
        api_token, _ = open_session(db, world.rt.settings, person, "api")
        web_token, web = open_session(db, world.rt.settings, person, "web")
        csrf = web.csrf_token
    client.cookies.set("coffre_session", web_token, domain="coffre.test")
    return {"Authorization": f"Bearer {api_token}"}, csrf


def request_for(world: World, method: str, path: str, actor: str, csrf: str) -> dict[str, Any]:
    """A concrete, valid-looking request for the route, with fresh targets when it destroys."""
    share_id, token = world.new_share() if "{share_id}" in path or "{token}" in path else ("", "")
    values = {
        "vault_id": world.vault_id,
        "share_id": share_id,
        "token": token,
        "document_id": (
            (
                world.binned_document()
                if path.endswith(("/restore", "/remettre"))
                else world.new_document(thumbnail=path.endswith(("/thumbnail", "/vignette")))
            )
            if "{document_id}" in path
            else ""
        ),
        "grant_id": world.new_request() if "{grant_id}" in path else "",
        "member_id": world.new_member() if "{member_id}" in path else "",
        "person_id": world.people["owner"].id,
        "org_id": world.org_id,
        "code": "fr",
    }
    url = path.format(**values)
    login = world.people[actor].login if actor != "anonymous" else "owner.person"
    form = {
        "csrf": "form-token" if RULES[(method, path)] == "public" and path != "/quitter" else csrf,
        "login": login,
        "password": PASSWORD,
        "display_name": "Nouvelle Personne",
        "code": "AAAA-BBBB-CCCC",
        "step": "1",
        "current_password": PASSWORD,
        "totp": world.totp(actor),
        "preferred_language": "fr",
        "consent": "yes",
        "decision": "refuse",
        "private": "yes",
        "scopes": "view",
    }
    again = {"current_password": PASSWORD, "totp": world.totp(actor) or None}
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("DELETE", "/api/v1/sessions"): {"json": again},
        ("POST", "/api/v1/me/recovery-codes"): {"json": again},
        ("POST", "/api/v1/session"): {"json": {"login": login, "password": PASSWORD}},
        ("PATCH", "/api/v1/me"): {"json": {"preferred_language": "fr"}},
        ("POST", "/api/v1/me/password"): {
            "json": {"current_password": PASSWORD, "new_password": PASSWORD}
        },
        ("POST", "/api/v1/me/second-factor"): {
            "json": {**again, "secret": "JBSWY3DPEHPK3PXP", "code": "1"}
        },
        ("POST", "/api/v1/beneficiaries/{person_id}/password"): {
            "json": {**again, "new_password": PASSWORD}
        },
        ("POST", "/api/v1/beneficiaries/{person_id}/reset-code"): {"json": again},
        ("DELETE", "/api/v1/beneficiaries/{person_id}/sign-in-delay"): {"json": again},
        ("POST", "/api/v1/me/unlock"): {
            "json": {"code": "AAAA-BBBB-CCCC", "new_password": PASSWORD}
        },
        ("POST", "/api/v1/recovery"): {
            "json": {"login": login, "code": "X", "new_password": PASSWORD}
        },
        ("GET", "/api/v1/login-suggestion"): {"params": {"display_name": "Awa Ndiaye"}},
        ("POST", "/api/v1/beneficiaries"): {
            "json": {
                "login": f"new.{actor[:20]}".replace("_", "."),
                "display_name": "N",
                "password": PASSWORD,
                "consent": True,
            }
        },
        ("POST", "/api/v1/organisations"): {"json": {"name": "Secours"}},
        ("POST", "/api/v1/organisations/{org_id}/counsellors"): {
            "json": {
                "login": f"c.{actor[:20]}".replace("_", "."),
                "display_name": "C",
                "password": PASSWORD,
                "current_password": PASSWORD,
            }
        },
        ("POST", "/api/v1/grants"): {
            "json": {
                "counsellor_id": world.people["grant_target"].id,
                "scopes": ["view"],
            }
        },
        ("POST", "/api/v1/access-requests"): {
            "json": {"login": "owner.person", "scopes": ["view"]}
        },
        ("POST", "/api/v1/vaults/{vault_id}/documents"): {
            "data": {"category": "taxes"},
            "files": {"file": ("a.pdf", pdf(), "application/pdf")},
        },
        ("PATCH", "/api/v1/documents/{document_id}"): {"json": {"title": "Nouveau"}},
        ("POST", "/api/v1/documents/{document_id}/shares"): {
            "json": {"recipient": "CAF", "purpose": "RSA", "expires_in_hours": 24}
        },
        ("POST", "/papiers/ajouter"): {
            "params": {"coffre": world.vault_id},
            "data": {"csrf": csrf, "category": "taxes"},
            "files": {"file": ("a.pdf", pdf(), "application/pdf")},
        },
        ("POST", "/personnes/nouvelle"): {
            "data": {**form, "login": f"p.{actor[:20]}".replace("_", ".")}
        },
        ("PATCH", "/api/v1/organisations/{org_id}/counsellors/{member_id}"): {
            "json": {"display_name": "Nom Corrigé"}
        },
        ("POST", "/organisation/{org_id}/conseillers/{member_id}/nom"): {
            "data": {**form, "display_name": "Nom Corrigé"}
        },
        ("POST", "/organisation/{org_id}/conseillers"): {
            "data": {
                **form,
                "login": f"o.{actor[:20]}".replace("_", "."),
            }
        },
    }
    if path.endswith(("/members", "/membres")):
        outsider = world.new_outsider()
        bodies[("POST", "/api/v1/organisations/{org_id}/members")] = {
            "json": {"login": outsider, "current_password": PASSWORD}
        }
        bodies[("POST", "/organisation/{org_id}/membres")] = {"data": {**form, "login": outsider}}
    extra = bodies.get((method, path))
    if extra is None and method in ("POST", "PATCH") and not path.startswith("/api/"):
        extra = {"data": form}
    return {"method": method, "url": url, **(extra or {})}


def to_sign_in(location: str) -> bool:
    return location.split("?")[0] == "/connexion"


def refused(status: int, location: str, actor: str, api: bool) -> bool:
    if actor == "anonymous":
        # A page form posted without a session cannot carry a session's CSRF token: 403.
        return status == 401 if api else (status == 303 and to_sign_in(location)) or status == 403
    return status in (403, 404)


def test_every_route_has_a_rule(rt: Runtime) -> None:
    app = create_app(runtime=rt)
    assert route_table(app) == set(RULES), "a route without a policy entry, or a stale entry"


def test_authorisation_matrix(rt: Runtime) -> None:
    app = create_app(runtime=rt)
    world = build_world(rt)
    client = TestClient(app, base_url="http://coffre.test", follow_redirects=False)
    headers_same_origin = {"Origin": "http://coffre.test", "Sec-Fetch-Site": "same-origin"}
    failures = []
    for method, path in sorted(route_table(app), key=lambda r: (r[1], r[0])):
        rule = RULES[(method, path)]
        for actor in ACTORS:
            api_headers, csrf = credentials(world, actor, client)
            request = request_for(world, method, path, actor, csrf)
            answer = client.request(headers={**api_headers, **headers_same_origin}, **request)
            location = answer.headers.get("location", "")
            denied = refused(answer.status_code, location, actor, path.startswith("/api/"))
            if rule == "metrics_token":
                denied = answer.status_code == 401
            if actor in RULE_ALLOWS[rule]:
                ok = answer.status_code not in (401, 403, 404) and not to_sign_in(location)
                if rule == "public":
                    ok = answer.status_code not in (403, 404)
            else:
                ok = denied
            if not ok:
                failures.append(
                    f"{method} {path} as {actor} ({rule}): {answer.status_code} {location}"
                )
    assert failures == [], "\n".join(failures)


def test_a_platform_admin_cannot_read_papers(rt: Runtime) -> None:
    world = build_world(rt)
    document_id = world.new_document()
    client = TestClient(create_app(runtime=rt), base_url="http://coffre.test")
    headers, _ = credentials(world, "admin", client)
    for url in (f"/api/v1/documents/{document_id}/content", f"/papiers/{document_id}/fichier"):
        assert client.get(url, headers=headers, follow_redirects=False).status_code == 404
