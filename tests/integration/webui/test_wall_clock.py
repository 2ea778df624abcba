"""Times on the pages are those of the clock on the wall (COFFRE_TIMEZONE, Europe/Paris by
default), not the UTC the database keeps: « a ouvert votre carte le 23/11 à 14h02 » an hour
early (two in summer), a hold « jusqu'au … » that ends at another hour than it says."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import sign_up
from tests.integration.webui.test_pages import page_signed_in
from vault.config import Settings
from vault.wall_clock import on_the_wall, use_timezone


def test_the_history_tells_the_time_of_the_clock_on_the_wall(client: TestClient) -> None:
    sign_up(client, "amina.diallo")
    before = datetime.now(UTC)
    page_signed_in(client, "amina.diallo")
    shown = re.findall(r"<time [^>]*>([^<]*)</time>", client.get("/historique").text)
    wall = [
        (before + timedelta(minutes=m)).astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
        for m in (0, 1)
    ]
    assert any(text.endswith(hour) for text in shown for hour in wall), (shown, wall)


def test_summer_and_winter() -> None:
    use_timezone("Europe/Paris")
    assert on_the_wall(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)).strftime("%d/%m %H:%M") == (
        "02/07 00:30"
    )
    assert on_the_wall(datetime(2026, 12, 5, 3, 11)).strftime("%d/%m %H:%M") == "05/12 04:11"


@pytest.mark.parametrize("zone", ["Europe/Orleans", "Europe", "../etc/passwd"])
def test_an_unknown_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValueError, match="a zone of the tz database"):
        Settings(_env_file=None, timezone=zone)
