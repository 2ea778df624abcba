"""The time people read: their own zone's (COFFRE_TIMEZONE), not the UTC the database keeps.
« Vos papiers sont fermés jusqu'au 05/12 à 03:11 » read in Orléans at 04:11 would be an hour
early, two in summer; near midnight, the day before. Set once per process (build_runtime)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

DEFAULT = "Europe/Paris"

_zone = ZoneInfo(DEFAULT)


def use_timezone(name: str) -> None:
    global _zone
    _zone = ZoneInfo(name)


def on_the_wall(moment: datetime) -> datetime:
    """`moment` (UTC, as stored; a naive one is UTC too) in the people's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone)
