"""Canonical encoding of associated data.

Every field is length-prefixed and the first one is a domain label, so two different contexts
can never encode to the same bytes (no "ab" + "c" == "a" + "bc"), and associated data built for
one purpose can never be replayed for another.
"""


def encode(label: bytes, *fields: str | int) -> bytes:
    """Encode `label` then `fields` as 4-byte big-endian length | bytes.

    Strings are UTF-8; integers are 8-byte big-endian and must not be negative. The label fixes
    the number, order and types of the fields.
    """
    out = bytearray()
    for raw in (label, *(_raw(field) for field in fields)):
        out += len(raw).to_bytes(4, "big")
        out += raw
    return bytes(out)


def _raw(field: str | int) -> bytes:
    if isinstance(field, str):
        return field.encode()
    return field.to_bytes(8, "big")
