"""A date as people write it where a browser shows no date field: the day first, as on their
papers (31/12/2030, 1.2.2031, 05-03-2031), in Latin or Arabic digits, turned into what a date
field sends (2030-12-31). The API takes only the latter."""

import re

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")


def as_a_date_field_sends(typed: str) -> str:
    """The date written as a date field sends it; anything else as it was typed, for the usual
    check to refuse with its message."""
    written = typed.strip().translate(_DIGITS)
    day_first = _DAY_FIRST.fullmatch(written)
    if day_first is None:
        return written
    day, month, year = day_first.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"
