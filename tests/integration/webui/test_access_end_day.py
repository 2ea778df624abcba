"""An access given « until » a day reads that day on both sides: it ends at 23:59:59 UTC of it,
which the wall clock of Orléans (COFFRE_TIMEZONE) would show as the next day."""

from datetime import date, timedelta

from babel.dates import format_date
from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, admin_headers, organisation, professional, sign_up
from tests.integration.webui.test_pages import page_sign_in
from vault.runtime import Runtime


def test_the_day_chosen_is_the_day_shown(client: TestClient, rt: Runtime) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    amina = sign_up(client, "amina.diallo")
    end = date.today() + timedelta(days=30)
    given = client.post(
        "/api/v1/grants",
        headers=amina["headers"],
        json={
            "counsellor_id": claire["id"],
            "current_password": PASSWORD,
            "scopes": ["view"],
            "expires_on": end.isoformat(),
        },
    )
    assert given.status_code == 201, given.text
    chosen, after = (format_date(d, format="long", locale="fr") for d in (end, end + timedelta(1)))
    page_sign_in(client, "amina.diallo")
    hers = client.get("/acces").text
    page_sign_in(client, "claire.martin")
    his = client.get("/personnes").text
    for page in (hers, his):
        assert chosen in page
        assert after not in page
