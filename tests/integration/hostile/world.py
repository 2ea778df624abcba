"""The people and things the hostile corpus aims at, and what it counts before and after.

Amina (a beneficiary) has papers, one in the bin, a link to a copy, and a grant to a counsellor
of the CCAS, where an organisation admin works too; a platform admin signs in with a second
factor. Bruno, another beneficiary, has the same, granted to a counsellor of another
organisation: his ids are the "someone else's" ones."""

from dataclasses import dataclass, field
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.app_fixtures import PASSWORD
from tests.integration.shares.helpers import share_now
from tests.samples import pdf
from vault.accounts import second_factor
from vault.accounts.accounts import create_person, vault_of
from vault.accounts.sessions import close_session, open_session
from vault.consent.grants import GrantTerms, create_grant, request_access
from vault.db import transaction
from vault.documents.service import (
    DocumentFields,
    create_document,
    delete_document,
    plan_upload,
    store_upload,
)
from vault.documents.shares import ShareTerms
from vault.models import Base, JournalHead, Membership, Organisation, Person
from vault.policy import SCOPES
from vault.runtime import Runtime
from webui.app import create_app

from .cases import Auth, Caller, Writes

FORM_TOKEN = "hostile-form-token"
SESSION_COOKIE = "coffre_session"
FORM_COOKIE = "coffre_form"


@dataclass(frozen=True)
class Ids:
    """Real ids and logins the cases aim at. `own_*`: Amina's (the beneficiary who sends many
    cases); `other_*`: Bruno's, whom no caller but his own counsellor may reach."""

    own_login: str
    own_vault: str
    own_doc: str
    own_binned: str
    own_share: str
    own_share_token: str
    own_grant: str
    other_person: str
    other_vault: str
    other_doc: str
    other_binned: str
    other_share: str
    other_grant: str
    other_request: str
    org: str
    other_org: str
    counsellor: str
    # A counsellor of the other organisation (Secours populaire).
    stranger: str
    admin_login: str


@dataclass
class Credentials:
    api_token: str
    web_token: str
    csrf: str


@dataclass
class World:
    rt: Runtime
    ids: Ids
    people: dict[Caller, Person]
    other: Person
    credentials: dict[Caller, Credentials] = field(default_factory=dict)
    # The page-form token of Bruno's session: "a token from another session".
    bruno_csrf: str = ""

    def sign_in_everyone(self) -> None:
        """An API session and a page session for each caller, kept for the whole corpus."""
        with transaction(self.rt.sessions) as db:
            for caller, person in self.people.items():
                api_token, _ = open_session(db, self.rt.settings, person, "api")
                web_token, web = open_session(db, self.rt.settings, person, "web")
                self.credentials[caller] = Credentials(api_token, web_token, web.csrf_token)
            _token, bruno = open_session(db, self.rt.settings, self.other, "web")
            self.bruno_csrf = bruno.csrf_token

    def token(self, caller: Caller, auth: Auth, *, page: bool) -> str | None:
        """The token a case presents (a bearer for the API, a cookie for pages). Tokens made
        for one case (expired, signed out) are made here, before the case's counts."""
        if caller == Caller.NOBODY or auth == Auth.NONE:
            return None
        kind = "web" if page else "api"
        own = self.credentials[caller]
        if auth == Auth.VALID:
            return own.web_token if page else own.api_token
        if auth == Auth.OTHER_KIND:
            return own.api_token if page else own.web_token
        if auth == Auth.FORGED:
            return "Zm9yZ2VkLXRva2VuLW9mLXRoZS1yaWdodC1zaGFwZS0"
        if auth == Auth.HUGE:
            return "A" * 65536
        person = self.people[caller]
        with transaction(self.rt.sessions) as db:
            lifetime = timedelta(seconds=-1) if auth == Auth.EXPIRED else None
            token, session = open_session(
                db, self.rt.settings, db.get_one(Person, person.id), kind, lifetime=lifetime
            )
            if auth == Auth.REPLAYED:
                close_session(db, session.id)
        return token


def _new_paper(rt: Runtime, owner: Person, vault_id: str, title: str) -> str:
    with transaction(rt.sessions) as db:
        plan = plan_upload(db, rt, owner, vault_id)
    stored = store_upload(rt, plan, [pdf(title)])
    with transaction(rt.sessions) as db:
        return create_document(db, rt, owner, stored, DocumentFields(title, "identity")).id


def _binned_paper(rt: Runtime, owner: Person, vault_id: str) -> str:
    document_id = _new_paper(rt, owner, vault_id, "Ancienne quittance")
    with transaction(rt.sessions) as db:
        delete_document(db, rt, db.get_one(Person, owner.id), document_id)
    return document_id


def build_world(rt: Runtime) -> World:
    with transaction(rt.sessions) as db:
        ccas, secours = Organisation(name="CCAS d'Orléans"), Organisation(name="Secours")
        db.add_all([ccas, secours])
        db.flush()

        def person(login: str, name: str, role: str, org: Organisation | None = None) -> Person:
            made = create_person(
                db, rt.master_keys, login=login, display_name=name, password=PASSWORD, role=role
            )
            if org is not None:
                db.add(Membership(person_id=made.id, organisation_id=org.id, role=role))
            return made

        amina = person("amina.diallo", "Amina Diallo", "beneficiary")
        bruno = person("bruno.martin", "Bruno Martin", "beneficiary")
        counsellor = person("claire.conseil", "Claire Conseil", "counsellor", ccas)
        org_admin = person("odile.admin", "Odile Admin", "org_admin", ccas)
        stranger = person("serge.secours", "Serge Secours", "counsellor", secours)
        admin = person("root.admin", "Admin", "admin")
        second_factor.install(db, rt.master_keys, admin, second_factor.new_secret())
        own_vault, other_vault = vault_of(db, amina.id), vault_of(db, bruno.id)
        assert own_vault is not None
        assert other_vault is not None
        own_grant = create_grant(db, rt, amina, GrantTerms(SCOPES), counsellor_id=counsellor.id).id
        other_grant = create_grant(
            db, rt, bruno, GrantTerms(("view",)), counsellor_id=stranger.id
        ).id
        other_request = request_access(db, rt, stranger, "bruno.martin", GrantTerms(["upload"]))
        assert other_request is not None
        ids = {
            "own_login": amina.login,
            "own_vault": own_vault.id,
            "own_grant": own_grant,
            "other_person": bruno.id,
            "other_vault": other_vault.id,
            "other_grant": other_grant,
            "other_request": other_request.id,
            "org": ccas.id,
            "other_org": secours.id,
            "counsellor": counsellor.id,
            "stranger": stranger.id,
            "admin_login": admin.login,
        }
    for prefix, owner in (("own", amina), ("other", bruno)):
        vault_id = ids[f"{prefix}_vault"]
        document_id = _new_paper(rt, owner, vault_id, "Carte d'identité")
        # With a code the office must type, which the corpus gets wrong.
        terms = ShareTerms("CAF du Loiret", "Dossier RSA", 48, code="code-de-la-caf")
        share = share_now(rt, owner, document_id, terms)
        ids |= {
            f"{prefix}_doc": document_id,
            f"{prefix}_binned": _binned_paper(rt, owner, vault_id),
            f"{prefix}_share": share.id,
        }
        if prefix == "own":
            ids["own_share_token"] = share.token
    world = World(
        rt,
        Ids(**ids),
        people={
            Caller.BENEFICIARY: amina,
            Caller.COUNSELLOR: counsellor,
            Caller.ORG_ADMIN: org_admin,
            Caller.ADMIN: admin,
        },
        other=bruno,
    )
    world.sign_in_everyone()
    return world


def count_rows(rt: Runtime) -> dict[str, int]:
    """Rows in every table, in one query, and where the journal's chain ends."""
    tables = Base.metadata.sorted_tables
    query = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    with transaction(rt.sessions) as db:
        row = db.execute(query).one()
        head = db.get(JournalHead, 1)
    rows = {table.name: int(count) for table, count in zip(tables, row, strict=True)}
    rows["journal head"] = head.seq if head else 0
    return rows


def rows_changed(
    before: dict[str, int], after: dict[str, int], writes: Writes
) -> dict[str, tuple[int, int]]:
    """What differs, beyond what a case writes by design."""
    return {
        name: (count, after[name])
        for name, count in before.items()
        if after[name] - count not in writes.get(name, range(1))
    }


def count_objects(rt: Runtime) -> int:
    return sum(1 for _ in rt.store.list())


def client_for(rt: Runtime) -> TestClient:
    """A browser or a program that sends whatever it likes; a 500 comes back as an answer."""
    return TestClient(
        create_app(runtime=rt),
        base_url="http://coffre.test",
        follow_redirects=False,
        raise_server_exceptions=False,
    )
