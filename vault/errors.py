"""What can go wrong in the domain, in words a person can read. The web layer maps each class
to a status code; messages never contain a document's content or title."""


def N_(message: str) -> str:
    """Marks a message for the catalogues (webui/locales), which translate it at the edge."""
    return message


class VaultError(Exception):
    # Whether what the unit of work wrote before the refusal must be kept: the journal line of
    # a refused access, the count of failed attempts. Anything else is rolled back.
    keeps_writes = False

    def __init__(self, message: str, field: str | None = None, **params: str | int) -> None:
        """`message` is French, the catalogues' source language; `params` fill its
        `%(name)s` places after translation."""
        self.template = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)
        self.field = field


class NotFoundError(VaultError):
    """Absent, or present but not the caller's to see: the same answer, so existence never leaks."""

    keeps_writes = True


class EndedMeanwhileError(NotFoundError):
    """Gone while the request ran (an account closed, a link's access ended, after the first
    look): answered as absent, and what the request wrote meanwhile is undone."""

    keeps_writes = False


class ForbiddenError(VaultError):
    """Authenticated, but the action is outside the caller's role."""


class AuthenticationError(VaultError):
    """Wrong login or wrong password, indistinguishably."""

    keeps_writes = True


class InvalidInputError(VaultError):
    """A field is missing or wrong."""


class WrongSecretError(InvalidInputError):
    """A signed-in person's current password, app code or recovery code is not the right one:
    a wrong field, not a wrong session (their token stays good). Counted against the person's
    attempts and journaled, hence kept."""

    keeps_writes = True


class ConflictError(VaultError):
    """The request clashes with what exists (e.g. a login already taken)."""


class UnsupportedFileError(VaultError):
    """The file is not a PDF, JPEG or PNG, judged by its content."""


class EmptyFileError(VaultError):
    """The file has no bytes."""


class FileTooLargeError(VaultError):
    """The file is larger than the instance allows."""


class DamagedFileError(VaultError):
    """The file starts like a PDF, JPEG or PNG but is cut short or broken."""


class UnreadableError(VaultError):
    """A paper whose keys, sealed text or stored object cannot be read: it is damaged.
    `problem` says what, for the logs and `coffre keys verify`; the person is told only that
    it is damaged and how to report it."""

    def __init__(self, problem: str, document_id: str) -> None:
        super().__init__(N_("Ce papier est abîmé. Il ne peut pas être ouvert."))
        self.problem = problem
        self.document_id = document_id


class RefusedContentError(VaultError):
    """The file is a PDF that opens, but holds what coffre does not keep: a password, a
    program, other files (vault/documents/format_checks.py)."""


class LockedError(VaultError):
    """Held after a password reset made with a counsellor: closed until the waiting period ends
    or the person enters one of their own recovery codes."""


class ThrottledError(VaultError):
    """Too many failed attempts: wait `retry_after` seconds. Never a permanent lock-out."""

    keeps_writes = True
    ONE_MINUTE = N_("Trop d'essais. Attendez 1 minute puis réessayez.")
    MINUTES = N_("Trop d'essais. Attendez %(minutes)s minutes puis réessayez.")

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        if minutes == 1:
            super().__init__(self.ONE_MINUTE)
        else:
            super().__init__(self.MINUTES, minutes=minutes)
        self.retry_after = retry_after


class TooManySignUpsError(ThrottledError):
    """Too many self sign-ups from one address this hour: wait `retry_after` seconds, or have a
    counsellor create the account with the person present."""

    ONE_MINUTE = N_(
        "Beaucoup de coffres ont été créés depuis cette connexion. Réessayez dans 1 minute, "
        "ou demandez à un conseiller de créer votre coffre avec vous."
    )
    MINUTES = N_(
        "Beaucoup de coffres ont été créés depuis cette connexion. Réessayez dans "
        "%(minutes)s minutes, ou demandez à un conseiller de créer votre coffre avec vous."
    )


class BusyError(VaultError):
    """Too many people are checking a password at this moment: try again in `retry_after`
    seconds. Nothing was checked nor counted."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            N_("Beaucoup de personnes se connectent en ce moment. Réessayez dans un instant.")
        )
        self.retry_after = retry_after


class SecondFactorRequiredError(AuthenticationError):
    """The password was right; the code from the authenticator app is missing or wrong."""


class CannotStart(Exception):
    """The process must not start: each problem says what is wrong and how to fix it, in one
    line for the operator (in English, like the rest of the command line)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))
