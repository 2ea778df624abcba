"""A date from a page's field: as a date field sends it (2030-12-31), or as people write it
where a browser shows no date field, the day first as on their papers (31/12/2030, 1.2.2031,
05-03-2031), in Latin or Arabic digits. The API takes only the first."""

import re
from datetime import date

from vault.errors import InvalidInputError
from webui.api.schemas import calendar_date

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")


def typed_date(value: str | None, field_name: str) -> date | None:
    """None for an empty field; InvalidInputError, with an example written the way people
    write dates, for anything that is not a day of the calendar."""
    written = (value or "").strip().translate(_DIGITS)
    if not written:
        return None
    day_first = _DAY_FIRST.fullmatch(written)
    if day_first is not None:
        day, month, year = day_first.groups()
        written = f"{year}-{int(month):02d}-{int(day):02d}"
    try:
        return calendar_date(written)
    except ValueError as exc:
        raise InvalidInputError(
            "La date doit être une vraie date, par exemple 31/12/2030.", field=field_name
        ) from exc
