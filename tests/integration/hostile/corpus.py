"""The hostile corpus, generated: XSS and SQL-looking strings in every text field of every JSON
body, query string and page form; then bad bodies, bad tokens, other people's ids, path tricks
(requests.py) and hostile files.

A free-text field (a title, a name, a recipient) may hold any of these strings: they are fair
text, stored and shown escaped (test_stored_text.py). So each is sent where the request is
refused for another reason (a wrong field beside it, a caller without the right, someone
else's id): the string still goes through parsing, validation and, on a page, the form shown
again with what was typed, which must escape it.

Hostile files: `corpus(ids, files)` sends each FileCase (or any object with its four
attributes) to the API's upload and to the page's form, by the person and by her counsellor."""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tests.app_fixtures import PASSWORD, PROVISIONAL_PASSWORD
from tests.hostile_files import CASES as HOSTILE_FILES

from .cases import (
    CONFIRMED_THEN_JOURNAL,
    FAILED_SECRET,
    JOURNAL,
    NOTHING,
    THROTTLES,
    Caller,
    Case,
    FileCase,
    HostileFile,
    Route,
    Writes,
    sent_name,
    short,
)
from .payloads import A_PDF, BAD_UTF8, HOSTILE, HUGE, MULTIPART, SQL, XSS, multipart
from .requests import bodies, others_ids, path_tricks, tokens
from .world import Ids

BEN, COUNSELLOR, ORG_ADMIN, ADMIN, NOBODY = (
    Caller.BENEFICIARY,
    Caller.COUNSELLOR,
    Caller.ORG_ADMIN,
    Caller.ADMIN,
    Caller.NOBODY,
)

FILES: list[HostileFile] = [
    FileCase(
        "html named png",
        b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
        "image/png",
        415,
        filename="photo.png",
    ),
    FileCase(
        "svg with script",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
        b"</svg>",
        "image/svg+xml",
        415,
    ),
    # Files that parse as their type but are hostile (bombs, PDFs with programs...).
    *(
        FileCase(f.name, f.content, f.content_type, f.status, filename=f.name)
        for f in HOSTILE_FILES
    ),
]


def json_text_fields(ids: Ids) -> list[Case]:
    """Every text field of every JSON body, refused for a reason beside the string."""
    doc = f"/api/v1/documents/{ids.own_doc}"
    sign_up = {"login": "awa.nouvelle", "display_name": "Awa", "password": PASSWORD}
    bad_login = {**sign_up, "login": "x"}
    grant = {"counsellor_id": ids.counsellor, "scopes": ["view"]}
    share = {"recipient": "CAF", "purpose": "RSA", "expires_in_hours": 24}
    wrong = {"current_password": "pas le bon mot de passe"}
    # The caller's own password, asked before an addition to a team or a reset.
    mine = {"current_password": PASSWORD}
    member = {**bad_login, "display_name": "Nadia", "password": PROVISIONAL_PASSWORD, **mine}

    session = Route("sign in", NOBODY, "POST", "/api/v1/session")
    admin_in = {"login": ids.admin_login, "password": PASSWORD}
    signup = Route("sign up", NOBODY, "POST", "/api/v1/beneficiaries")
    in_person = Route("in person", COUNSELLOR, "POST", "/api/v1/beneficiaries")
    by_her = Route("in person by a beneficiary", BEN, "POST", "/api/v1/beneficiaries")
    members = f"/api/v1/organisations/{ids.org}/counsellors"
    team = Route("member", ORG_ADMIN, "POST", members)
    not_admin = Route("member by a counsellor", COUNSELLOR, "POST", members)
    other_team = Route(
        "member of another organisation",
        ORG_ADMIN,
        "POST",
        f"/api/v1/organisations/{ids.other_org}/counsellors",
    )
    joining = Route(
        "existing member", ORG_ADMIN, "POST", f"/api/v1/organisations/{ids.org}/members"
    )
    me = Route("profile", BEN, "PATCH", "/api/v1/me")
    password = Route("new password", BEN, "POST", "/api/v1/me/password")
    recovery = Route("recovery", NOBODY, "POST", "/api/v1/recovery")
    give = Route("grant", BEN, "POST", "/api/v1/grants")
    ask = Route("access request", COUNSELLOR, "POST", "/api/v1/access-requests")
    paper = Route("paper", BEN, "PATCH", doc)
    helper_paper = Route("paper through a grant", COUNSELLOR, "PATCH", doc)
    their_paper = Route("someone else's paper", BEN, "PATCH", f"/api/v1/documents/{ids.other_doc}")
    link = Route("share", BEN, "POST", f"{doc}/shares")
    their_link = Route(
        "share of someone else's paper", BEN, "POST", f"/api/v1/documents/{ids.other_doc}/shares"
    )
    cases = [
        # No such login; a wrong password, code or second factor on a real account.
        *session.json(HOSTILE, "login", {"password": PASSWORD}, 401, writes=THROTTLES),
        *session.json(HOSTILE, "password", {"login": ids.own_login}, 401, writes=FAILED_SECRET),
        *session.json(SQL[:1], "totp", admin_in, 401, "totp", FAILED_SECRET),
        *session.json((*XSS[:2], SQL[1]), "totp", admin_in, 422, "totp"),
        *recovery.json(
            HOSTILE, "login", {"code": "A-B", "new_password": PASSWORD}, 401, "code", THROTTLES
        ),
        *recovery.json(
            HOSTILE,
            "code",
            {"login": ids.own_login, "new_password": PASSWORD},
            401,
            "code",
            FAILED_SECRET,
        ),
        # A login that cannot be one is refused after the name and before the password.
        *signup.json(HOSTILE, "display_name", bad_login, 422, "login"),
        *signup.json(HOSTILE, "login", sign_up, 422, "login"),
        *signup.json(HOSTILE, "password", bad_login, 422, "login"),
        *signup.json(HOSTILE, "preferred_language", sign_up, 422, "preferred_language"),
        *in_person.json(HOSTILE, "display_name", {**sign_up, "consent": False}, 422, "consent"),
        *in_person.json(HOSTILE, "login", {**sign_up, "consent": True}, 422, "login"),
        *by_her.json(XSS, "display_name", {**sign_up, "consent": True}, 403),
        # Organisations: only a platform admin makes one, and then not a name this long.
        *[
            case
            for caller in (BEN, COUNSELLOR, ORG_ADMIN)
            for case in Route(
                f"organisation by {caller}", caller, "POST", "/api/v1/organisations"
            ).json(HOSTILE, "name", {}, 403)
        ],
        *Route("organisation by admin", ADMIN, "POST", "/api/v1/organisations").json(
            [p * 50 for p in XSS], "name", {}, 422, "name"
        ),
        *team.json(HOSTILE, "display_name", member, 422, "login"),
        *team.json(HOSTILE, "login", member, 422, "login"),
        *team.json(HOSTILE, "role", {**member, "login": "nadia.new"}, 422, "role"),
        *not_admin.json(XSS, "display_name", {**member, "login": "nadia.new"}, 403),
        *other_team.json(XSS, "display_name", {**member, "login": "nadia.new"}, 404),
        # A name corrected: by a counsellor (403), for someone not in the team (404).
        *Route("name by a counsellor", COUNSELLOR, "PATCH", f"{members}/{ids.counsellor}").json(
            XSS, "display_name", {}, 403
        ),
        *Route("name of a stranger", ORG_ADMIN, "PATCH", f"{members}/{ids.stranger}").json(
            HOSTILE, "display_name", {}, 404
        ),
        # A professional who has an account already: no login but theirs adds anyone.
        *joining.json(HOSTILE, "login", mine, 422, "login"),
        *joining.json(HOSTILE, "role", {**mine, "login": "nadia.new"}, 422, "role"),
        *Route("existing member by a counsellor", COUNSELLOR, "POST", joining.url).json(
            XSS, "login", mine, 403
        ),
        *Route(
            "existing member of another organisation",
            ORG_ADMIN,
            "POST",
            f"/api/v1/organisations/{ids.other_org}/members",
        ).json(XSS, "login", mine, 404),
        # My account: what can take it asks for the password again.
        *me.json(HOSTILE, "preferred_language", {}, 422, "preferred_language"),
        *me.json(HOSTILE, "email", {}, 422, "current_password"),
        *me.json(HOSTILE, "phone", {}, 422, "current_password"),
        *me.json(
            HOSTILE, "current_password", {"email": "a@b.fr"}, 422, "current_password", FAILED_SECRET
        ),
        *password.json(
            HOSTILE,
            "current_password",
            {"new_password": PASSWORD * 2},
            422,
            "current_password",
            FAILED_SECRET,
        ),
        *password.json(XSS, "new_password", wrong, 422, "current_password", FAILED_SECRET),
        *Route("recovery codes", BEN, "POST", "/api/v1/me/recovery-codes").json(
            SQL, "current_password", {}, 422, "current_password", FAILED_SECRET
        ),
        *Route("sign out everywhere", BEN, "DELETE", "/api/v1/sessions").json(
            SQL, "current_password", {}, 422, "current_password", FAILED_SECRET
        ),
        *Route("second factor", COUNSELLOR, "POST", "/api/v1/me/second-factor").json(
            HOSTILE, "secret", {**wrong, "code": "123456"}, 422, "current_password", FAILED_SECRET
        ),
        *Route("unlock", BEN, "POST", "/api/v1/me/unlock").json(
            [HUGE[:101]], "code", {"new_password": PASSWORD}, 422, "code"
        ),
        *Route(
            "assisted password of someone else",
            COUNSELLOR,
            "POST",
            f"/api/v1/beneficiaries/{ids.other_person}/password",
        ).json(XSS, "new_password", mine, 404, writes=CONFIRMED_THEN_JOURNAL),
        # Consent.
        *give.json(HOSTILE, "counsellor_id", grant, 422, "counsellor_id"),
        *give.json(HOSTILE, "organisation_id", {"scopes": ["view"]}, 422, "organisation_id"),
        *give.json(HOSTILE, "expires_on", grant, 422, "expires_on"),
        *[
            give.case(f"{key}=[{short(p)!r}]", 422, key, json={**grant, key: [p]})
            for key in ("scopes", "categories")
            for p in HOSTILE
        ],
        *Route("grant by a counsellor", COUNSELLOR, "POST", "/api/v1/grants").json(
            XSS, "counsellor_id", grant, 403
        ),
        *[
            ask.case(
                f"{key}=[{short(p)!r}]",
                422,
                key,
                json={"login": ids.own_login, "scopes": ["view"], key: [p]},
            )
            for key in ("scopes", "categories")
            for p in HOSTILE
        ],
        *ask.json(HOSTILE, "login", {"scopes": []}, 422, "scopes"),
        # A paper: a wrong category beside the string; someone else's paper.
        *paper.json(HOSTILE, "title", {"category": "nope"}, 422, "category"),
        *paper.json(HOSTILE, "category", {}, 422, "category"),
        *paper.json(HOSTILE, "expires_on", {}, 422, "expires_on"),
        *helper_paper.json(XSS, "title", {"category": "nope"}, 422, "category"),
        *their_paper.json(XSS, "title", {}, 404, writes=JOURNAL),
        # A link to a copy: a duration or a count out of bounds beside the string.
        *link.json(HOSTILE, "recipient", {**share, "expires_in_hours": 0}, 422, "expires_in_hours"),
        *link.json(HOSTILE, "purpose", {**share, "expires_in_hours": 0}, 422, "expires_in_hours"),
        *link.json(HOSTILE, "code", {**share, "max_downloads": 0}, 422, "max_downloads"),
        *their_link.json(XSS, "recipient", share, 404, writes=JOURNAL),
    ]
    return cases


def _plain_login(body: Any) -> bool:
    return isinstance(body, dict) and re.fullmatch(r"[a-z0-9.]{3,64}", body["login"]) is not None


def _a_page(text: Any) -> bool:
    return "<h1" in str(text)


def query_parameters(ids: Ids) -> list[Case]:
    """Query strings. A login suggestion answers any name with a plain login, and a page shows
    a link's text back escaped (fair questions, answered harmlessly); the journal's paging
    takes only numbers in range (its schema bounds them); the history page takes a cursor
    beyond any line as no bound."""
    suggestion = Route("login suggestion", NOBODY, "GET", "/api/v1/login-suggestion")
    journal = Route("journal", BEN, "GET", "/api/v1/journal")
    history = Route("history page", BEN, "GET", "/historique")
    beyond = (str(2**63), str(10**30))
    cases = [
        *suggestion.query(
            (*HOSTILE, HUGE[:8000], "\x00\x01\u202e"), "display_name", 200, check=_plain_login
        ),
        suggestion.case("without a name", 422, "display_name"),
        *journal.query((*HOSTILE, "0", "-1", "1.5", *beyond), "before", 422, field="before"),
        *journal.query((*HOSTILE, "0", "-1", "100000", str(10**30)), "limit", 422, field="limit"),
        *journal.query([HUGE[:101]], "actor", 422, field="actor"),
        *journal.query(HOSTILE, "actor", 200, check=lambda body: body == []),
        *history.query((*SQL, "0", "-1"), "avant", 400),
        *history.query(beyond, "avant", 200, check=_a_page),
        *history.query(XSS, "qui", 200, check=_a_page),
        *Route("sign-in link", NOBODY, "GET", "/connexion").query(XSS, "suite", 200, check=_a_page),
        *Route("add link", BEN, "GET", "/papiers/ajouter").query(XSS, "coffre", 200, check=_a_page),
        # A sealed search that is not one of this session's: everyone, as without a search.
        *Route("people list", COUNSELLOR, "GET", "/personnes").query(
            (*HOSTILE, HUGE[:8000]), "recherche", 200, check=_a_page
        ),
        *Route("forgotten link", NOBODY, "GET", "/mot-de-passe-oublie").query(
            XSS, "login", 200, check=_a_page
        ),
    ]
    cases += [
        Route("language", NOBODY, "GET", f"/langue/{code}").case(repr(short(code)), 404)
        for code in ("xx", "%3Cscript%3E", "fr%00", "' OR 1=1 --")
    ]
    return cases


def page_forms(ids: Ids) -> list[Case]:
    """Every text field of the page forms, refused for a reason beside the string; the form
    that comes back shows what was typed, escaped."""
    wrong = {"password": "pas le bon mot de passe"}
    member = {"display_name": "Nadia", "login": "x", "password": PASSWORD}
    mine = {"current_password": PASSWORD}
    new_member = {**member, "password": PROVISIONAL_PASSWORD, **mine}
    share = {"recipient": "CAF", "purpose": "RSA", "hours": "0"}
    step2 = {"step": "2", "display_name": "Awa", "login": "x", "password": PASSWORD}
    sign_in = Route("sign-in page", NOBODY, "POST", "/connexion")
    sign_up = Route("sign-up page", NOBODY, "POST", "/inscription")
    new_person = Route("new person page", COUNSELLOR, "POST", "/personnes/nouvelle")
    team = Route("team page", ORG_ADMIN, "POST", f"/organisation/{ids.org}/conseillers")
    send = Route("share page", BEN, "POST", f"/papiers/{ids.own_doc}/envoyer")
    account = Route("account page", BEN, "POST", "/compte/infos")
    return [
        *sign_in.form(HOSTILE, "login", wrong, 401, "login", THROTTLES),
        *sign_in.form(
            (*XSS, "//evil.example/", "/\\evil.example"),
            "suite",
            {**wrong, "login": ids.own_login},
            401,
            "login",
            FAILED_SECRET,
        ),
        *sign_up.form(HOSTILE, "display_name", step2, 422, "login"),
        *sign_up.form(HOSTILE, "login", step2, 422, "login"),
        *sign_up.form(SQL, "step", step2, 422),
        *Route("forgotten page", NOBODY, "POST", "/mot-de-passe-oublie").form(
            HOSTILE, "login", {"code": "AAAA-BBBB", "password": PASSWORD}, 401, "code", THROTTLES
        ),
        *new_person.form(HOSTILE, "display_name", {**member, "consent": "yes"}, 422, "login"),
        *new_person.form(HOSTILE, "login", {**member, "consent": "yes"}, 422, "login"),
        *Route("access request page without scopes", COUNSELLOR, "POST", "/personnes/demande").form(
            HOSTILE, "login", {}, 422, "scopes"
        ),
        *team.form(HOSTILE, "display_name", new_member, 422, "login"),
        *team.form(HOSTILE, "login", new_member, 422, "login"),
        *Route("existing member page", ORG_ADMIN, "POST", f"/organisation/{ids.org}/membres").form(
            HOSTILE, "login", mine, 422, "login"
        ),
        *Route(
            "name page of a stranger",
            ORG_ADMIN,
            "POST",
            f"/organisation/{ids.org}/conseillers/{ids.stranger}/nom",
        ).form(HOSTILE, "display_name", {}, 404),
        *send.form(HOSTILE, "recipient", share, 422, "hours"),
        *send.form(HOSTILE, "purpose", share, 422, "hours"),
        # Longer than these fields take: the page that says so.
        *send.form(HOSTILE, "hours", {**share, "hours": ""}, 422),
        *send.form(HOSTILE, "downloads", {**share, "hours": "24"}, 422),
        *account.form(HOSTILE, "email", {"preferred_language": "fr"}, 422, "current_password"),
        *account.form(HOSTILE, "phone", {"preferred_language": "fr"}, 422, "current_password"),
        *account.form(HOSTILE, "preferred_language", {}, 422),
        *Route("password page", BEN, "POST", "/compte/mot-de-passe").form(
            HOSTILE,
            "current_password",
            {"new_password": PASSWORD * 2},
            422,
            "current_password",
            FAILED_SECRET,
        ),
        *Route("first password page", COUNSELLOR, "POST", "/compte/premier-mot-de-passe").form(
            HOSTILE,
            "current_password",
            {"password": PASSWORD * 2},
            422,
            "current_password",
            FAILED_SECRET,
        ),
        # A link's code, wrong: counted, and journaled for the paper's owner.
        *Route("office page", NOBODY, "POST", f"/s/{ids.own_share_token}").form(
            HOSTILE, "code", {}, 422, "code", FAILED_SECRET
        ),
        *Route("access page", BEN, "POST", f"/acces/{ids.own_grant}").form(
            HOSTILE, "decision", {}, 422
        ),
    ]


def _uploads(
    what: str,
    caller: Caller,
    vault: str,
    fields: Mapping[str, str],
    expected: int,
    field: str | None = None,
    file: tuple[str, bytes, str] = ("carte.pdf", A_PDF, "application/pdf"),
    writes: Writes = NOTHING,
) -> list[Case]:
    """The same upload through the API and through the page's form."""
    parts = (("file", file),)
    api = Route("upload", caller, "POST", f"/api/v1/vaults/{vault}/documents")
    page = Route("upload page", caller, "POST", "/papiers/ajouter")
    return [
        api.case(what, expected, field, writes, data=fields, files=parts),
        page.case(
            what, expected, field, writes, data=fields, files=parts, params={"coffre": vault}
        ),
    ]


def uploads(ids: Ids) -> list[Case]:
    """The upload form's fields: a wrong category beside each string, so the file is received,
    checked, stored, and then removed."""
    vault = ids.own_vault
    cases: list[Case] = []
    for p in HOSTILE:
        what = short(p)
        cases += _uploads(
            f"title={what!r}", BEN, vault, {"title": p, "category": "nope"}, 422, "category"
        )
        cases += _uploads(f"category={what!r}", BEN, vault, {"category": p}, 422, "category")
        cases += _uploads(
            f"expires_on={what!r}",
            BEN,
            vault,
            {"category": "taxes", "expires_on": p},
            422,
            "expires_on",
        )
    for name in (*XSS[:2], "../../../etc/passwd", "..\\..\\boot.ini", "a\x00b.pdf"):
        file = (name, A_PDF, "application/pdf")
        cases += _uploads(
            f"file name {short(name)!r}", BEN, vault, {"category": "nope"}, 422, "category", file
        )
    # Names and values no client library would send: written byte by byte.
    raw: tuple[tuple[str, list[tuple[bytes, bytes]], tuple[bytes, bytes]], ...] = (
        ("bad UTF-8 in the file name", [(b"category", b"nope")], (BAD_UTF8 + b".pdf", A_PDF)),
        (
            "bad UTF-8 in the title",
            [(b"title", BAD_UTF8), (b"category", b"nope")],
            (b"a.pdf", A_PDF),
        ),
        (
            "bad UTF-8 in a field name",
            [(BAD_UTF8, b"x"), (b"category", b"nope")],
            (b"a.pdf", A_PDF),
        ),
        (
            "markup in the file name",
            [(b"category", b"nope")],
            (b"<img src=x onerror=alert(1)>.pdf", A_PDF),
        ),
    )
    api = Route("upload", BEN, "POST", f"/api/v1/vaults/{vault}/documents")
    page = Route("upload page", BEN, "POST", "/papiers/ajouter")
    for what, fields, raw_file in raw:
        body = multipart(fields, raw_file)
        cases += [
            route.case(what, 422, "category", headers=MULTIPART, content=body)
            for route in (api, page)
        ]
    cases += _uploads(
        "title by a counsellor",
        COUNSELLOR,
        vault,
        {"title": XSS[0], "category": "nope"},
        422,
        "category",
    )
    cases += _uploads(
        "into someone else's vault",
        BEN,
        ids.other_vault,
        {"title": XSS[0], "category": "taxes"},
        404,
        writes=JOURNAL,
    )
    return cases


def file_cases(ids: Ids, files: Iterable[HostileFile]) -> list[Case]:
    """Each hostile file, as the person's own paper and as her counsellor's upload into her
    vault, through the API and the page's form: refused, nothing stored."""
    cases: list[Case] = []
    for hostile in files:
        part = (sent_name(hostile), hostile.data, hostile.content_type)
        fields = {"title": "Avis", "category": "taxes"}
        for caller in (BEN, COUNSELLOR):
            what = f"file {hostile.name} by {caller}"
            cases += _uploads(
                what, caller, ids.own_vault, fields, hostile.expected_status, "file", part
            )
    return cases


def corpus(ids: Ids, files: Iterable[HostileFile] = ()) -> list[Case]:
    return [
        *json_text_fields(ids),
        *query_parameters(ids),
        *page_forms(ids),
        *uploads(ids),
        *file_cases(ids, [*FILES, *files]),
        *bodies(ids),
        *tokens(ids),
        *others_ids(ids),
        *path_tricks(ids),
    ]
