"""In a real browser: a counsellor looks for a person by name. The list comes back with the
people found and « Page suivante » keeps the search, while the address the browser keeps in its
history holds no name. With JavaScript and without."""

from urllib.parse import unquote

import pytest
from playwright.sync_api import Page, expect

from tests.app_fixtures import PASSWORD
from tests.browser.people import claire_of_the_ccas, sign_in
from vault.accounts.accounts import create_person
from vault.consent.grants import GrantTerms, create_grant
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


def test_a_search_finds_the_person_and_leaves_no_name_in_the_address(
    page: Page, live_url: str, rt: Runtime
) -> None:
    with transaction(rt.sessions) as db:
        claire = claire_of_the_ccas(db, rt)
        for login, name in (("helene.dubois", "Hélène Dubois"), ("paul.petit", "Paul Petit")):
            person = create_person(
                db,
                rt.master_keys,
                login=login,
                display_name=name,
                password=PASSWORD,
                role="beneficiary",
            )
            create_grant(db, rt, person, GrantTerms(["view"]), counsellor_id=claire.id)

    sign_in(page, live_url, "claire.martin", PASSWORD)
    expect(page.get_by_role("heading", name="Les personnes que j'aide")).to_be_visible()
    page.get_by_label("Chercher une personne").fill("Hélène")
    page.get_by_role("button", name="Chercher").click()

    expect(page.get_by_text("1 personne trouvée.")).to_be_visible()
    expect(page.get_by_role("link", name="Hélène Dubois")).to_be_visible()
    expect(page.get_by_role("link", name="Paul Petit")).to_have_count(0)
    expect(page.get_by_label("Chercher une personne")).to_have_value("Hélène")
    address = unquote(page.url)
    assert "/personnes?recherche=" in address
    assert "Hélène" not in address
    assert "Dubois" not in address
