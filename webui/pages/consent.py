"""Consent pages. For the beneficiary: « Qui peut voir mes papiers » and « Historique ». For
professionals: the people who granted them access, a person's papers, an account created with
the person present, a request for access. For organisation admins: their counsellors."""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from vault.accounts.hold import hold_words
from vault.accounts.reauth import check_password
from vault.consent.grants import (
    GrantTerms,
    answer_request,
    answering_needs_identity,
    create_account_in_person,
    grant_holders,
    granted_person,
    grants_of,
    people_page,
    request_access,
    revoke,
)
from vault.consent.hidden_search import hide_search, read_search
from vault.consent.history import Topic, history, other_actors
from vault.documents import reports, service, shares
from vault.documents.expiry import rule_of
from vault.documents.reminders import take_banners
from vault.errors import N_, ConflictError, InvalidInputError, ThrottledError, VaultError
from vault.models import Grant
from vault.policy import (
    SCOPES,
    grant_categories,
    grant_scopes,
    may_list_papers,
)
from vault.vocabulary import Consent, GrantStatus
from webui import i18n
from webui.deps import (
    PAGE_CSRF,
    DbSession,
    Professional,
    RuntimeDep,
    SignedInPage,
    attempt,
    attempt_of,
    session_token,
)
from webui.multipart import INCOMPLETE
from webui.pages.auth import codes_page
from webui.pages.common import redirect
from webui.pages.history_words import sentence
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])

# Translated where they are shown (the templates).
SCOPE_WORDS = {
    "view": N_("voir vos papiers"),
    "upload": N_("ajouter des papiers"),
    "manage": N_("modifier et supprimer des papiers"),
    "recover": N_("vous aider à changer votre mot de passe"),
}

# The same, on the professional's request: what they ask to do for the person.
ASKED_SCOPE_WORDS = SCOPE_WORDS | {
    "view": N_("voir ses papiers"),
    "recover": N_("l'aider à changer son mot de passe"),
}

STATUS_WORDS = {
    GrantStatus.PENDING: N_("Demande en attente"),
    GrantStatus.ACTIVE: N_("En cours"),
    GrantStatus.REVOKED: N_("Arrêté"),
    GrantStatus.REFUSED: N_("Refusé"),
    GrantStatus.EXPIRED: N_("Terminé"),
}


def _grant_rows(db: DbSession, grants: list[Grant]) -> list[dict[str, object]]:
    holders = grant_holders(db, grants)
    rows = []
    for grant in grants:
        rows.append(
            {
                "id": grant.id,
                "who": holders[grant.id].name,
                "organisation": holders[grant.id].organisation,
                "scopes": [SCOPE_WORDS[s] for s in grant_scopes(grant)],
                "recover": "recover" in grant_scopes(grant),
                "categories": grant_categories(grant),
                "status": grant.status,
                "status_words": STATUS_WORDS.get(grant.status, grant.status),
                "ends": grant.expires_at,
                "in_person": grant.consent == Consent.IN_PERSON,
            }
        )
    return rows


@router.get("/acces")
def access_page(request: Request, db: DbSession, rt: RuntimeDep, me: SignedInPage) -> Response:
    grants = grants_of(db, rt, me.person)
    return page(
        request,
        "access.html",
        me,
        grants=_grant_rows(db, grants),
        hold_words=hold_words(rt.settings, i18n.ngettext),
        now=datetime.now(),
    )


@router.post("/acces/{grant_id}")
def access_answer(
    grant_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedInPage,
    decision: Annotated[str, Form(max_length=20)] = "",
    current_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Accept, refuse or end an access. Accepting a request for "recover" asks for the
    password again: a tab left open must not hand the account to whoever asked."""
    if decision == "end":
        revoke(db, me.person, grant_id)
        return redirect("/acces")
    accept = decision == "accept"
    try:
        with attempt(db):
            # Only the page's two buttons: anything else must not count as a refusal.
            if decision not in ("accept", "refuse"):
                raise InvalidInputError(INCOMPLETE)
            if accept and answering_needs_identity(db, me.person, grant_id):
                check_password(
                    db,
                    me.person,
                    current_password,
                    attempt_of(request, db, rt, me.person.login),
                )
            answer_request(db, me.person, grant_id, accept=accept)
    except (InvalidInputError, ConflictError, ThrottledError) as exc:
        grants = grants_of(db, rt, me.person)
        return page(
            request,
            "access.html",
            me,
            error=exc,
            errors={f"current_password-{grant_id}": i18n.error_text(exc)},
            grants=_grant_rows(db, grants),
            hold_words=hold_words(rt.settings, i18n.ngettext),
            now=datetime.now(),
        )
    return redirect("/acces")


# The history's filters, as the page's GET form sends them. "qui" is also a person's id.
HELPERS = "aidants"
TOPICS = {
    "papiers": Topic.PAPERS,
    "acces": Topic.ACCESS,
    "connexions": Topic.SIGN_IN,
    "refus": Topic.REFUSALS,
}


@router.get("/historique")
def history_page(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedInPage,
    avant: Annotated[int | None, Query(ge=1)] = None,
    qui: Annotated[str, Query(max_length=100)] = "",
    quoi: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """A page of the journal, newest first: everyone, the person, their helpers or one person
    who acted; everything or one topic. An unknown topic shows everything."""
    quoi = quoi if quoi in TOPICS else ""
    found = history(
        db,
        me.person,
        before=avant,
        actor_id=qui if qui and qui != HELPERS else None,
        helpers_only=qui == HELPERS,
        topic=TOPICS.get(quoi),
    )
    lines = found.lines
    titles = service.own_titles(db, rt, me.person, {x.document_id for x in lines if x.document_id})
    recipients = shares.recipients_of(db, rt, me.person, {x.share_id for x in lines if x.share_id})
    filters = {key: value for key, value in (("qui", qui), ("quoi", quoi)) if value}
    older = None
    if found.older is not None:
        older = "/historique?" + urlencode({"avant": found.older, **filters})
    return page(
        request,
        "history.html",
        me,
        entries=[(line, sentence(line, titles, recipients)) for line in lines],
        people=[
            (me.person.id, i18n.gettext("Vous")),
            (HELPERS, i18n.gettext("Vos aidants")),
            *other_actors(db, me.person),
        ],
        qui=qui,
        quoi=quoi,
        older=older,
    )


# Longer than any name or login: the rest of a longer search is left out, never refused.
SEARCH_LENGTH = 100
# More digits than any page count: such a number stands for the last page.
PAGE_DIGITS = 6


def page_number(text: str) -> int:
    """The page asked for in the address (« 2 », « ٢ »); 1 for anything else than a number,
    never a refusal: an address typed or cut by hand still shows a page."""
    text = text.strip()
    if not text.isdecimal():
        return 1
    return int(text) if len(text) <= PAGE_DIGITS else 10**PAGE_DIGITS


def people_address(request: Request, search: str, number: int) -> str:
    """The address of a page of the list; a search's words sealed in it (hide_search)."""
    hidden = {"recherche": hide_search(session_token(request), search)} if search else {}
    return "/personnes?" + urlencode({**hidden, "page": number})


@router.post("/personnes/chercher")
def people_search(
    request: Request, me: Professional, q: Annotated[str, Form(max_length=1000)] = ""
) -> Response:
    """The search form is sent, not put in the address: the list's address carries the words
    sealed, so the browser's history never holds the name of a person."""
    search = q.strip()[:SEARCH_LENGTH]
    return redirect(people_address(request, search, 1) if search else "/personnes")


@router.get("/personnes")
def people_list(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: Professional,
    q: str = "",
    recherche: str = "",
    page_asked: Annotated[str, Query(alias="page")] = "1",
) -> Response:
    """The people who gave me access, 50 a page; with a search (`recherche`, sealed by
    « Chercher »; `q` for an address typed by hand), those whose name or login has its words.
    A search from an ended session shows everyone. A page number past the last shows the last
    one."""
    sealed = read_search(session_token(request), recherche) if recherche else None
    search = (sealed or q)[:SEARCH_LENGTH]
    found = people_page(db, rt, me.person, search=search, number=page_number(page_asked))
    banners = take_banners(db, rt.settings, me.person)
    return page(
        request,
        "people.html",
        me,
        vaults=found.people,
        attention=found.attention,
        banners=banners,
        search=search,
        found=found,
        previous=people_address(request, search, found.number - 1) if found.number > 1 else None,
        next=(
            people_address(request, search, found.number + 1) if found.number < found.last else None
        ),
    )


@router.get("/personnes/nouvelle")
def new_person_form(request: Request, me: Professional) -> Response:
    return page(request, "person_new.html", me, values={})


@router.post("/personnes/nouvelle")
def new_person(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: Professional,
    display_name: Annotated[str, Form(max_length=200)] = "",
    login: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    consent: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The person sits here and types their own password; their agreement is recorded."""
    try:
        with attempt(db):
            created = create_account_in_person(
                db,
                rt,
                me.person,
                login=login,
                display_name=display_name,
                password=password,
                consent=consent == "yes",
            )
    except VaultError as exc:
        return page(
            request,
            "person_new.html",
            me,
            error=exc,
            values={"display_name": display_name, "login": login, "consent": consent},
        )
    return codes_page(
        request,
        me,
        created.recovery_codes,
        first_time=True,
        owner=created.person,
        next_url=f"/personnes/{created.vault.id}",
    )


@router.get("/personnes/demande")
def request_form(request: Request, rt: RuntimeDep, me: Professional) -> Response:
    return page(
        request,
        "person_request.html",
        me,
        scope_words=ASKED_SCOPE_WORDS,
        hold_words=hold_words(rt.settings, i18n.ngettext),
        values={},
    )


@router.post("/personnes/demande")
def ask(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: Professional,
    login: Annotated[str, Form(max_length=200)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        with attempt(db):
            request_access(
                db, rt, me.person, login, GrantTerms([s for s in scopes or [] if s in SCOPES])
            )
    except VaultError as exc:
        return page(
            request,
            "person_request.html",
            me,
            error=exc,
            scope_words=ASKED_SCOPE_WORDS,
            hold_words=hold_words(rt.settings, i18n.ngettext),
            values={"login": login, "scopes": scopes or []},
        )
    # The same page whether the login exists, and whether the request was recorded.
    return page(
        request,
        "person_request.html",
        me,
        sent=True,
        scope_words=ASKED_SCOPE_WORDS,
        hold_words=hold_words(rt.settings, i18n.ngettext),
        values={},
    )


@router.get("/personnes/{vault_id}")
def person_papers(
    vault_id: str, request: Request, db: DbSession, rt: RuntimeDep, me: Professional
) -> Response:
    """Who the person is and their login, for any current grant (to tell a person who forgot
    it); their papers only with "view"."""
    person = granted_person(db, rt, me.person, vault_id)
    rule = rule_of(rt.settings)
    documents = (
        rule.attention_first(service.list_documents(db, rt, me.person, vault_id))
        if may_list_papers(db, rt.settings, me.person, vault_id)
        else None
    )
    unreadable = [d.id for d in documents or [] if not d.readable]
    return page(
        request,
        "person_papers.html",
        me,
        documents=documents,
        expiry=rule,
        person=person,
        vault_id=vault_id,
        reported=reports.reported_among(db, person.person_id, unreadable),
    )
