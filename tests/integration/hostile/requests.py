"""Requests a client should never send: bad bodies, bad tokens, other people's ids, ids that
are not ids."""

import json
from typing import Any

from tests.app_fixtures import PASSWORD

from .cases import (
    CONFIRMED_THEN_JOURNAL,
    CSRF_MARK,
    EXPIRED_SESSION,
    JOURNAL,
    NO_JSON,
    NOTHING,
    Auth,
    Caller,
    Case,
    Csrf,
    Route,
    short,
)
from .payloads import A_PDF, BAD_UTF8, HUGE, JSON_TYPE, MULTIPART, RANDOM_ID, SQL, XSS, multipart
from .world import Ids

BEN, COUNSELLOR, ORG_ADMIN, ADMIN, NOBODY = (
    Caller.BENEFICIARY,
    Caller.COUNSELLOR,
    Caller.ORG_ADMIN,
    Caller.ADMIN,
    Caller.NOBODY,
)
A_FILE = (("file", ("a.pdf", A_PDF, "application/pdf")),)
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}


def bodies(ids: Ids) -> list[Case]:
    """Not JSON, bad UTF-8, too deep, too big, wrong types, extra fields, wrong content
    types, a method a route does not take."""
    doc = f"/api/v1/documents/{ids.own_doc}"
    session = {"login": ids.own_login, "password": PASSWORD}
    deep = b"[" * 100_000 + b"]" * 100_000
    ten_mb = 10 * 1024 * 1024
    share = {"recipient": "CAF", "purpose": "RSA", "expires_in_hours": 24}
    sign_in = Route("sign in", NOBODY, "POST", "/api/v1/session")
    paper = Route("paper", BEN, "PATCH", doc)
    link = Route("share", BEN, "POST", f"{doc}/shares")
    upload = Route("upload", BEN, "POST", f"/api/v1/vaults/{ids.own_vault}/documents")
    cases = [
        paper.case("not JSON", 422, content=b"{title: x", headers=JSON_TYPE),
        sign_in.case(
            "bad UTF-8 in a string",
            400,
            content=b'{"login": "' + BAD_UTF8 + b'", "password": "x"}',
            headers=JSON_TYPE,
        ),
        paper.case(
            "bad UTF-8 in the title",
            400,
            content=b'{"title": "' + BAD_UTF8 + b'"}',
            headers=JSON_TYPE,
        ),
        sign_in.case("deep nesting", 400, content=deep, headers=JSON_TYPE),
        paper.case(
            "deep nesting in a field", 400, content=b'{"title": ' + deep + b"}", headers=JSON_TYPE
        ),
        # Past 1 MiB (webui/bodies.py), a body is refused before it is read whole.
        sign_in.case("10 MB body", 413, json={**session, "password": "x" * ten_mb}),
        sign_in.case(
            "10 MB of spaces around it",
            413,
            content=b" " * ten_mb + json.dumps({**session, "login": "x"}).encode(),
            headers=JSON_TYPE,
        ),
        paper.case("100,000 keys", 413, json={f"k{i}": i for i in range(100_000)}),
        paper.case(
            "50,000 keys",
            422,
            "k0",
            json={f"k{i}": i for i in range(50_000)} | {"category": "nope"},
        ),
        paper.case("huge title", 422, "title", json={"title": HUGE}),
        link.case("huge recipient", 422, "recipient", json={**share, "recipient": HUGE}),
        link.case("huge purpose", 422, "purpose", json={**share, "purpose": HUGE}),
        sign_in.case("huge login", 422, "login", json={**session, "login": HUGE}),
        Route("sign up", NOBODY, "POST", "/api/v1/beneficiaries").case(
            "huge display_name",
            422,
            "display_name",
            json={"login": "awa.n", "display_name": HUGE, "password": PASSWORD},
        ),
        Route("profile", BEN, "PATCH", "/api/v1/me").case(
            "huge email", 422, "email", json={"email": HUGE}
        ),
        Route("organisation", ADMIN, "POST", "/api/v1/organisations").case(
            "huge name", 422, "name", json={"name": HUGE}
        ),
    ]
    # A string expected, something else sent (and the other way round); null where required.
    text = (12345, [XSS[0]], {"$ne": None}, None)
    wrong_types: list[tuple[Route, str, dict[str, Any], tuple[Any, ...]]] = [
        (sign_in, "login", session, text),
        (sign_in, "password", session, text),
        (paper, "title", {}, text[:3]),
        (paper, "category", {}, text[:3]),
        (paper, "expires_on", {}, (20301231, [XSS[0]], {"$ne": None})),
        (paper, "private", {}, ("peut-être", [True], {"$ne": None})),
        (link, "recipient", share, text),
        (link, "expires_in_hours", share, ("24 heures", [24], {"$gt": 0}, None, 24.5, 10**30)),
        (link, "max_downloads", share, ("sans limite", [1], 1.5)),
        (
            Route("grant", BEN, "POST", "/api/v1/grants"),
            "scopes",
            {"counsellor_id": ids.counsellor},
            ("view", [["view"]], {"view": True}, None),
        ),
        (Route("organisation", ADMIN, "POST", "/api/v1/organisations"), "name", {}, text),
    ]
    cases += [
        route.case(
            f"{field} as {short(json.dumps(value))}", 422, field, json={**base, field: value}
        )
        for route, field, base, values in wrong_types
        for value in values
    ]
    cases += [
        sign_in.case(f"body is {short(json.dumps(body))}", 422, json=body)
        for body in (None, [], [session], "login", 1, True)
    ]
    # Fields a client may not set, beside a wrong one: refused, the first of them named.
    cases += [
        paper.case(
            "extra fields",
            422,
            "vault_id",
            json={
                "category": "nope",
                "vault_id": ids.other_vault,
                "uploaded_by": ids.counsellor,
                "size": 1,
                "id": RANDOM_ID,
            },
        ),
        Route("sign up", NOBODY, "POST", "/api/v1/beneficiaries").case(
            "extra role",
            422,
            "role",
            json={"login": "x", "display_name": "Awa", "password": PASSWORD, "role": "admin"},
        ),
        link.case(
            "extra fields",
            422,
            "downloads",
            json={**share, "expires_in_hours": 0, "downloads": -1, "revoked": False},
        ),
    ]
    as_json = json.dumps({"category": "nope", "title": XSS[0]}).encode()
    cases += [
        paper.case(f"JSON sent as {kind}", 422, content=as_json, headers={"Content-Type": kind})
        for kind in (
            "text/plain",
            "application/x-www-form-urlencoded",
            "text/html",
            "application/xml",
            "multipart/form-data; boundary=x",
        )
    ]
    cases += [
        sign_in.case("as a form", 422, data=session),
        upload.case("as JSON", 422, json={"category": "identity", "file": XSS[0]}),
        upload.case(
            "without a boundary",
            422,
            content=b"--x\r\n",
            headers={"Content-Type": "multipart/form-data"},
        ),
        upload.case(
            "without a file",
            422,
            "file",
            content=multipart([(b"category", b"identity"), (b"title", XSS[0].encode())]),
            headers=MULTIPART,
        ),
        Route("account page", BEN, "POST", "/compte/infos").case(
            "as JSON", 403, json={"email": XSS[0]}
        ),
        Route("share page", BEN, "POST", f"/papiers/{ids.own_doc}/envoyer").case(
            "with bad UTF-8",
            422,
            "hours",
            content=b"csrf=" + CSRF_MARK + b"&recipient=" + BAD_UTF8 + b"&purpose=%FF%FE&hours=0",
            headers=FORM_TYPE,
        ),
        Route("profile", BEN, "PUT", "/api/v1/me").case(
            "with a method it does not take", 405, json={"display_name": XSS[0]}
        ),
        Route("account page", BEN, "PUT", "/compte/infos").case(
            "with a method it does not take", 405, data={"email": XSS[0]}
        ),
    ]
    return cases


def tokens(ids: Ids) -> list[Case]:
    """Bearer tokens missing, expired, signed out, forged, of another kind or shape; page
    sessions the same; CSRF tokens missing, of another session, forged, or cross-site."""
    doc = f"/api/v1/documents/{ids.own_doc}"
    api: list[tuple[Caller, str, str, Any]] = [
        (BEN, "GET", "/api/v1/me", None),
        (BEN, "GET", "/api/v1/vaults/me/documents", None),
        (BEN, "PATCH", doc, {"title": XSS[0]}),
        (BEN, "DELETE", doc, None),
        (BEN, "POST", f"{doc}/shares", {"recipient": XSS[0], "purpose": SQL[0], "hours": 1}),
        (COUNSELLOR, "GET", f"{doc}/content", None),
        (ADMIN, "POST", "/api/v1/organisations", {"name": XSS[1]}),
        (BEN, "DELETE", "/api/v1/session", None),
    ]
    cases = [
        Case(
            name=f"{auth} token {method} {url.replace(ids.own_doc, '{doc}')}",
            caller=caller,
            method=method,
            url=url,
            auth=auth,
            expected=401,
            writes=EXPIRED_SESSION if auth == Auth.EXPIRED else NOTHING,
            **({"json": body} if body is not None else {}),
        )
        for caller, method, url, body in api
        for auth in Auth
        if auth != Auth.VALID
    ]
    forms: list[tuple[str, dict[str, str]]] = [
        ("/compte/infos", {"email": XSS[0], "preferred_language": "ar"}),
        ("/compte/nom", {"display_name": XSS[0]}),
        (f"/papiers/{ids.own_doc}/supprimer", {}),
        (f"/papiers/{ids.own_doc}/modifier", {"title": XSS[0], "category": "bank"}),
        (f"/papiers/{ids.own_doc}/envoyer", {"recipient": XSS[0], "purpose": "R", "hours": "24"}),
        (f"/liens/{ids.own_share}/arreter", {}),
    ]
    for url, data in forms:
        # Without a live session, a form of ours says the session ended and shows back what
        # was typed (escaped); with one, a wrong token is refused and nothing happens.
        cases += [
            Case(
                name=f"{auth} cookie POST {url}",
                caller=BEN,
                method="POST",
                url=url,
                data=data,
                auth=auth,
                expected=401,
                writes=EXPIRED_SESSION if auth == Auth.EXPIRED else NOTHING,
            )
            for auth in (Auth.EXPIRED, Auth.REPLAYED, Auth.FORGED, Auth.OTHER_KIND)
        ]
        cases += [
            Case(
                name=f"{csrf} CSRF token POST {url}",
                caller=BEN,
                method="POST",
                url=url,
                data=data,
                csrf=csrf,
                expected=403,
            )
            for csrf in (Csrf.NONE, Csrf.OTHER_SESSION, Csrf.FORGED, Csrf.CROSS_SITE)
        ]
    upload = Route("upload page", BEN, "POST", "/papiers/ajouter")
    fields = {"category": "identity", "title": XSS[0]}
    cases += [
        Route("account page", NOBODY, "POST", "/compte/infos").case(
            "without a session", 403, data={"email": XSS[0]}, csrf=Csrf.NONE
        ),
        upload.case(
            "with another session's token",
            403,
            data=fields,
            files=A_FILE,
            csrf=Csrf.OTHER_SESSION,
        ),
        upload.case("from another site", 403, data=fields, files=A_FILE, csrf=Csrf.CROSS_SITE),
    ]
    return cases


def others_ids(ids: Ids) -> list[Case]:
    """Ids of things that are someone else's, and random ones: 404, never 403, so existence
    does not leak. Anyone but its owner refused on an existing paper or vault is journaled for
    her."""
    cases: list[Case] = []
    for target, whose in ((ids.other_doc, "someone else's"), (RANDOM_ID, "a random")):
        writes = JOURNAL if target == ids.other_doc else NOTHING
        doc = f"/api/v1/documents/{target}"
        for method, tail in (
            ("GET", ""),
            ("DELETE", ""),
            ("GET", "/content"),
            ("GET", "/thumbnail"),
            ("GET", "/shares"),
        ):
            route = Route(f"{whose} paper", BEN, method, f"{doc}{tail}")
            cases.append(route.case(f"{method} {tail or 'card'}", 404, writes=writes))
    for target, whose in ((ids.other_vault, "someone else's"), (RANDOM_ID, "a random")):
        writes = JOURNAL if target == ids.other_vault else NOTHING
        for tail in ("documents", "bin", "export"):
            url = f"/api/v1/vaults/{target}/{tail}"
            cases.append(Route(f"{whose} vault", BEN, "GET", url).case(tail, 404, writes=writes))
    theirs = f"/api/v1/documents/{ids.other_doc}"
    their_person = f"/api/v1/beneficiaries/{ids.other_person}"
    grants = "/api/v1/grants"
    their_member = f"/api/v1/organisations/{ids.other_org}/counsellors/{ids.stranger}"
    our_stranger = f"/api/v1/organisations/{ids.org}/counsellors/{ids.stranger}"
    # (who, method, url, what a refusal writes: a line for the paper's owner, what is tried)
    api = [
        (BEN, "POST", f"/api/v1/documents/{ids.other_binned}/restore", JOURNAL, "restore theirs"),
        (BEN, "POST", f"/api/v1/documents/{RANDOM_ID}/restore", NOTHING, "restore a random"),
        (COUNSELLOR, "POST", f"/api/v1/documents/{ids.own_binned}/restore", JOURNAL, "restore"),
        (ADMIN, "POST", f"/api/v1/documents/{ids.own_binned}/restore", JOURNAL, "restore"),
        (BEN, "DELETE", f"/api/v1/shares/{ids.other_share}", JOURNAL, "stop their link"),
        (COUNSELLOR, "DELETE", f"/api/v1/shares/{RANDOM_ID}", NOTHING, "stop a random link"),
        (BEN, "DELETE", f"{grants}/{ids.other_grant}", NOTHING, "end their grant"),
        (BEN, "POST", f"{grants}/{ids.other_request}/accept", NOTHING, "accept theirs"),
        (BEN, "POST", f"{grants}/{ids.other_request}/refuse", NOTHING, "refuse theirs"),
        (COUNSELLOR, "DELETE", f"{grants}/{ids.own_grant}", NOTHING, "end a grant held"),
        # A counsellor with a grant on Amina's vault, none on Bruno's.
        (COUNSELLOR, "GET", theirs, JOURNAL, "their paper"),
        (COUNSELLOR, "PATCH", theirs, JOURNAL, "change their paper"),
        (COUNSELLOR, "DELETE", theirs, JOURNAL, "delete their paper"),
        (COUNSELLOR, "GET", f"{theirs}/content", JOURNAL, "their paper's content"),
        (COUNSELLOR, "GET", f"{theirs}/shares", JOURNAL, "their paper's links"),
        (COUNSELLOR, "GET", f"/api/v1/vaults/{ids.other_vault}/documents", JOURNAL, "their list"),
        (COUNSELLOR, "GET", f"/api/v1/vaults/{ids.own_vault}/export", JOURNAL, "her export"),
        (ORG_ADMIN, "GET", f"/api/v1/organisations/{ids.other_org}/counsellors", NOTHING, "team"),
        (ORG_ADMIN, "DELETE", their_member, NOTHING, "close their member"),
        (ORG_ADMIN, "DELETE", our_stranger, NOTHING, "close someone not in the team"),
        (ADMIN, "GET", f"/api/v1/documents/{ids.own_doc}/content", JOURNAL, "a paper"),
        (ADMIN, "GET", f"/api/v1/vaults/{ids.own_vault}/documents", JOURNAL, "a vault"),
        (ADMIN, "DELETE", f"/api/v1/people/{RANDOM_ID}/second-factor", NOTHING, "a factor"),
    ]
    cases += [
        Route(str(caller), caller, method, url).case(
            what, 404, writes=writes, json={"title": XSS[0]} if method == "PATCH" else NO_JSON
        )
        for caller, method, url, writes, what in api
    ]
    # With her own password: what refuses it is the scope she lacks, not a guess.
    reset_code = Route("counsellor", COUNSELLOR, "POST", f"{their_person}/reset-code")
    lift_delay = Route("counsellor", COUNSELLOR, "DELETE", f"{their_person}/sign-in-delay")
    cases += [
        route.case(what, 404, json={"current_password": PASSWORD}, writes=CONFIRMED_THEN_JOURNAL)
        for route, what in ((reset_code, "their reset code"), (lift_delay, "their sign-in delay"))
    ]
    upload = Route("counsellor", COUNSELLOR, "POST", f"/api/v1/vaults/{ids.other_vault}/documents")
    cases.append(
        upload.case(
            "upload into their vault", 404, data={"category": "x"}, files=A_FILE, writes=JOURNAL
        )
    )
    join = Route("org_admin", ORG_ADMIN, "POST", f"/api/v1/organisations/{ids.other_org}/members")
    cases.append(
        join.case(
            "add to their team",
            404,
            json={"login": "x", "current_password": PASSWORD},
            writes=NOTHING,
        )
    )
    their_member = f"/api/v1/organisations/{ids.other_org}/counsellors/{ids.stranger}"
    rename = Route("org_admin", ORG_ADMIN, "PATCH", their_member)
    cases.append(rename.case("rename their member", 404, json={"display_name": "X"}))
    share = {"recipient": XSS[0], "purpose": XSS[1], "hours": "24"}
    member = {
        "display_name": XSS[0],
        "login": "nadia.new",
        "password": PASSWORD,
        "current_password": PASSWORD,
    }
    paper = f"/papiers/{ids.other_doc}"
    their_closing = f"/organisation/{ids.other_org}/conseillers/{ids.stranger}/fermer"
    our_closing = f"/organisation/{ids.org}/conseillers/{ids.stranger}/fermer"
    their_naming = f"/organisation/{ids.other_org}/conseillers/{ids.stranger}/nom"
    pages = [
        (BEN, "GET", paper, None, JOURNAL, "their paper"),
        (BEN, "GET", f"{paper}/fichier", None, JOURNAL, "their file"),
        (BEN, "POST", f"{paper}/supprimer", {}, JOURNAL, "delete their paper"),
        (BEN, "GET", f"{paper}/modifier", None, JOURNAL, "the form to change their paper"),
        (BEN, "POST", f"{paper}/modifier", {"title": XSS[0]}, JOURNAL, "change their paper"),
        (BEN, "POST", f"{paper}/envoyer", share, JOURNAL, "send their paper"),
        (BEN, "POST", f"/liens/{ids.other_share}/arreter", {}, JOURNAL, "stop their link"),
        (BEN, "POST", f"/corbeille/{ids.other_binned}/remettre", {}, JOURNAL, "restore theirs"),
        (BEN, "POST", f"/acces/{ids.other_request}", {"decision": "accept"}, NOTHING, "accept"),
        (COUNSELLOR, "GET", f"/personnes/{ids.other_vault}", None, JOURNAL, "their vault"),
        (ORG_ADMIN, "POST", f"/organisation/{ids.other_org}/conseillers", member, NOTHING, "team"),
        (ORG_ADMIN, "GET", their_closing, None, NOTHING, "the page to close their member"),
        (ORG_ADMIN, "POST", their_closing, {}, NOTHING, "close their member"),
        (
            ORG_ADMIN,
            "POST",
            f"/organisation/{ids.other_org}/membres",
            {"login": "x", "current_password": PASSWORD},
            NOTHING,
            "join",
        ),
        (ORG_ADMIN, "POST", our_closing, {}, NOTHING, "close someone not in the team"),
        (ORG_ADMIN, "GET", their_naming, None, NOTHING, "the page to rename their member"),
        (ORG_ADMIN, "POST", their_naming, {"display_name": XSS[0]}, NOTHING, "rename theirs"),
    ]
    cases += [
        Route(f"{caller} page", caller, method, url).case(what, 404, writes=writes, data=data)
        for caller, method, url, data, writes, what in pages
    ]
    return cases


def path_tricks(ids: Ids) -> list[Case]:
    """Ids that are not ids: dot segments (percent-encoded, as a raw client sends them), NUL,
    SQL, markup, very long; and the static files' folder left by the same tricks."""
    tricks = (
        "%2e%2e",
        "..%2f..%2fme",
        "%2e%2e%2f%2e%2e%2fvaults%2fme",
        "..%5c..%5cme",
        "%00",
        f"{ids.own_doc}%00",
        "%27%20OR%201%3D1%20--",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "x" * 5000,
    )
    cases = []
    for trick in tricks:
        what = repr(short(trick))
        cases += [
            Route("paper id", BEN, "GET", f"/api/v1/documents/{trick}").case(what, 404),
            Route("vault id", BEN, "GET", f"/api/v1/vaults/{trick}/documents").case(what, 404),
            Route("paper page", BEN, "GET", f"/papiers/{trick}").case(what, 404),
            # A link's token never holds a slash: with one, no such page.
            Route("link", NOBODY, "GET", f"/s/{trick}").case(
                what, 404 if "%2f" in trick.lower() else 410
            ),
        ]
    cases += [
        Route("static", NOBODY, "GET", f"/static/{path}").case(repr(short(path)), 404)
        for path in (
            "..%2f..%2fvault%2fconfig.py",
            "%2e%2e/%2e%2e/pyproject.toml",
            "..%5c..%5cpyproject.toml",
            "style.css%00.py",
        )
    ]
    return cases
