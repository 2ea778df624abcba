"""The closed sets of words the domain uses. Stored as text, with a CHECK constraint in the
database, so a typo in code or a hand-edited row cannot invent a role or a scope."""

from enum import StrEnum


class Role(StrEnum):
    BENEFICIARY = "beneficiary"
    COUNSELLOR = "counsellor"
    ORG_ADMIN = "org_admin"
    ADMIN = "admin"


class MemberRole(StrEnum):
    """A professional's role inside one organisation."""

    COUNSELLOR = "counsellor"
    ORG_ADMIN = "org_admin"


class Scope(StrEnum):
    VIEW = "view"
    UPLOAD = "upload"
    MANAGE = "manage"
    RECOVER = "recover"


class GrantStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REFUSED = "refused"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Consent(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
