"""Every name gets a readable login, through the API and the sign-up page, and the person finds
it again on the codes sheet and on « Mon compte »."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, sign_up
from tests.integration.webui.test_pages import SAME_ORIGIN, form_csrf
from vault.accounts.logins import WORDS

READABLE = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")
NAMES = {
    "أمينة بن علي": "mynh.bn.ly",
    "Ирина Петрова": "irina.petrova",
    "ሰላም ደስታ": "selam.desta",
    "José Müller": "jose.muller",
}


def suggestion(client: TestClient, name: str) -> str:
    answer = client.get("/api/v1/login-suggestion", params={"display_name": name})
    assert answer.status_code == 200
    login: str = answer.json()["login"]
    return login


def is_word_pair(login: str) -> bool:
    words = login.split(".")
    return len(words) == 2 and all(w in WORDS for w in words)


@pytest.mark.parametrize(("name", "login"), NAMES.items())
def test_the_api_suggests_a_readable_login_in_any_script(
    client: TestClient, name: str, login: str
) -> None:
    assert suggestion(client, name) == login
    sign_up(client, login, name)
    assert suggestion(client, name) == f"{login}2"


def test_a_name_with_nothing_readable_gets_two_words(client: TestClient) -> None:
    login = suggestion(client, "🙂🙂")
    assert is_word_pair(login)
    assert "personne" not in login


def test_the_sign_up_page_suggests_a_readable_login(client: TestClient) -> None:
    token = form_csrf(client, "/inscription")
    for name, expected in NAMES.items():
        step_one = client.post(
            "/inscription",
            data={"csrf": token, "step": "1", "display_name": name},
            headers=SAME_ORIGIN,
        )
        assert 'name="login" type="text"' in step_one.text
        assert f'value="{expected}"' in step_one.text
    emoji = client.post(
        "/inscription",
        data={"csrf": token, "step": "1", "display_name": "🙂🙂"},
        headers=SAME_ORIGIN,
    )
    found = re.search(r'id="login" name="login"[^>]*value="([^"]*)"', emoji.text, re.DOTALL)
    assert found
    assert is_word_pair(found.group(1))

    created = client.post(
        "/inscription",
        data={
            "csrf": token,
            "step": "2",
            "display_name": "Ирина Петрова",
            "login": "irina.petrova",
            "password": PASSWORD,
        },
        headers=SAME_ORIGIN,
    )
    assert created.status_code == 200
    assert '<strong class="secret">irina.petrova</strong>' in created.text  # the codes sheet
    account = client.get("/compte")
    assert 'Mon identifiant : <strong class="secret">irina.petrova</strong>' in account.text
    assert "Il est aussi sur votre papier de codes de secours." in account.text
