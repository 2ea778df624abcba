"""Expiry reminders, run daily (`coffre reminders send`): before a paper expires, at each of
`reminder_days` (60, 30, 7), its owner and every professional whose grant shows it are told
once. By email when the person gave an address and an SMTP server is set; else a banner at their
next visit. A run that starts late sends only the nearest reminder and records the others as
passed. An email that could not leave is not recorded: the next run tries again.

Two runs may start at once (the crons of two instances on one PostgreSQL): they take each paper
in turn, so the later one finds the first's reminders recorded and sends them no more.

An email says the paper's kind and date, never its title nor the person's name: both are
personal and email travels in clear. Its words are messages of the catalogues (N_), put in the
reader's language by the caller's `Wording` (vault knows no catalogue)."""

import logging
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from keys.errors import IntegrityError
from vault.accounts.accounts import contact_details
from vault.audit import journal
from vault.config import Settings
from vault.db import transaction
from vault.documents.categories import CATEGORIES
from vault.errors import N_
from vault.mail import SmtpMailer, sender
from vault.models import Document, Grant, Membership, Person, Reminder, Vault, utcnow
from vault.policy import Action, acting_for, vault_access, vault_accesses
from vault.runtime import Runtime
from vault.vocabulary import GrantStatus

log = logging.getLogger(__name__)

EMAIL = "email"
BANNER = "banner"
# A threshold the run came too late for: recorded so that it is never sent afterwards.
PASSED = "passed"

OWNER_SUBJECT = N_("Un de vos papiers expire bientôt")
OWNER_LINE = N_("Un de vos papiers (%(category)s) expire le %(day)s.")
OWNER_ACTION = N_("Connectez-vous à coffre pour le voir.")
HELPER_SUBJECT = N_("Un papier d'une personne que vous aidez expire bientôt")
HELPER_LINE = N_("Un papier d'une personne que vous aidez (%(category)s) expire le %(day)s.")
HELPER_ACTION = N_("Connectez-vous à coffre pour voir de qui il s'agit.")


class Wording(Protocol):
    """Messages and dates in a person's language."""

    def text(self, language: str, message: str) -> str: ...

    def day(self, language: str, value: date) -> str: ...


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class Failure:
    person_id: str
    document_id: str
    reason: str


@dataclass
class Report:
    emails: int = 0
    banners: int = 0
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True)
class Recipient:
    person: Person
    # The grant that shows the paper to a professional; None for the owner.
    grant: Grant | None = None

    @property
    def is_owner(self) -> bool:
        return self.grant is None


@dataclass(frozen=True)
class _Run:
    today: date
    thresholds: list[int]
    wording: Wording
    mailer: Mailer | None
    report: Report


def send_due(rt: Runtime, *, wording: Wording, today: date | None = None) -> Report:
    """Send the reminders due `today` (UTC today unless told); one transaction per paper, so
    that what was sent stays recorded if a later paper fails."""
    thresholds = sorted(set(rt.settings.reminder_days))
    mailer = SmtpMailer(rt.settings) if rt.settings.smtp_host else None
    run = _Run(today or utcnow().date(), thresholds, wording, mailer, Report())
    if not thresholds:
        return run.report
    with transaction(rt.sessions) as db:
        due = list(
            db.scalars(
                select(Document.id)
                .where(
                    Document.deleted_at.is_(None),
                    Document.expires_on >= run.today,
                    Document.expires_on <= run.today + timedelta(days=thresholds[-1]),
                )
                .order_by(Document.expires_on)
            )
        )
    for document_id in due:
        with transaction(rt.sessions) as db:
            _take_turn(db, document_id)
            _remind(db, rt, run, document_id)
    return run.report


# With a paper's id, the key of the PostgreSQL advisory lock a run holds while it reminds of it.
PAPER_LOCK = 733102


def _take_turn(db: Session, document_id: str) -> None:
    """Wait while another run reminds of this paper: it reads what was recorded only once that
    run has committed, so an email never leaves twice. Only runs take this lock, first in their
    transaction, so a page that changes the paper is never held up by an SMTP server. SQLite
    already runs one writing transaction at a time (begun IMMEDIATE)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(PAPER_LOCK, func.hashtext(document_id))))


def _remind(db: Session, rt: Runtime, run: _Run, document_id: str) -> None:
    document = db.get(Document, document_id)
    if document is None or document.deleted_at is not None or document.expires_on is None:
        return  # binned or erased since the list was made
    vault = db.get_one(Vault, document.vault_id)
    owner = db.get_one(Person, vault.owner_id)
    expires_on = document.expires_on
    if owner.erased_at is not None:
        return
    # The thresholds reached, nearest first: only the nearest is sent.
    nearest, *passed = [t for t in run.thresholds if (expires_on - run.today).days <= t]
    delivered: list[tuple[Recipient, str, list[int]]] = []
    for recipient in _recipients(db, rt.settings, document, vault, owner):
        recorded = set(
            db.scalars(
                select(Reminder.threshold_days).where(
                    Reminder.document_id == document.id,
                    Reminder.person_id == recipient.person.id,
                )
            )
        )
        if nearest in recorded:
            continue
        channel = _deliver(db, rt, run, recipient, document, expires_on)
        if channel is not None:
            delivered.append((recipient, channel, [t for t in passed if t not in recorded]))
    same_date = not delivered or _date_kept(db, document.id, expires_on)
    for recipient, channel, also_passed in delivered:
        if same_date:
            rows = [(nearest, channel)] + [(t, PASSED) for t in also_passed]
            for threshold, how in rows:
                db.add(
                    Reminder(
                        document_id=document.id,
                        person_id=recipient.person.id,
                        threshold_days=threshold,
                        channel=how,
                    )
                )
        if same_date or channel == EMAIL:  # an email left, whatever the date became
            _journal(db, owner, document, recipient, channel)


def _date_kept(db: Session, document_id: str, expires_on: date) -> bool:
    """Whether the paper still expires on the date the reminders were about. A page may change
    the date while the emails leave (it waits for no run); read again under a share lock, the
    change is seen here if it was committed, or it waits for this run's commit and then forgets
    what the run recorded. Else the old date's reminders would count for the new one, which
    would then never be reminded of."""
    current = db.scalar(
        select(Document.expires_on).where(Document.id == document_id).with_for_update(read=True)
    )
    return current == expires_on


def _deliver(
    db: Session, rt: Runtime, run: _Run, recipient: Recipient, document: Document, expires_on: date
) -> str | None:
    """By email if possible, else a banner; None when the email could not leave."""
    address = _address(db, rt, recipient.person) if run.mailer else ""
    if run.mailer is None or not address:
        run.report.banners += 1
        return BANNER
    try:
        message = _message(
            rt.settings, run.wording, recipient, address, document.category, expires_on
        )
    except ValueError:
        # An address no header may hold (saved before such addresses were refused): this
        # person's email cannot leave, the others' still do.
        run.report.failures.append(Failure(recipient.person.id, document.id, UNUSABLE_ADDRESS))
        return None
    try:
        run.mailer.send(message)
    except (smtplib.SMTPException, OSError) as exc:
        run.report.failures.append(Failure(recipient.person.id, document.id, _reason(exc)))
        return None
    run.report.emails += 1
    return EMAIL


def _address(db: Session, rt: Runtime, person: Person) -> str:
    """The person's email address, if they gave one. When their user key no longer opens (a
    damaged key slot), none: they are told by a banner, and the others' reminders still go."""
    try:
        return contact_details(db, rt.master_keys, person)["email"]
    except IntegrityError:
        log.error("contact details of person %s cannot be read: a banner instead", person.id)
        return ""


UNUSABLE_ADDRESS = "an email address no message header may hold"


def _reason(exc: smtplib.SMTPException | OSError) -> str:
    """Why an email could not leave, without the address: an SMTP server's answer may quote it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _answer in exc.recipients.values()})
        return f"{type(exc).__name__} {', '.join(map(str, codes))}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPException):
        return type(exc).__name__
    return f"{type(exc).__name__}: {exc.strerror or exc}"


def _recipients(
    db: Session, settings: Settings, document: Document, vault: Vault, owner: Person
) -> Iterator[Recipient]:
    """The owner, then each professional a current grant lets view this very paper (directly
    or through their organisation; never a private paper)."""
    yield Recipient(owner)
    grants = db.scalars(
        select(Grant).where(Grant.vault_id == vault.id, Grant.status == GrantStatus.ACTIVE)
    ).all()
    direct = {g.counsellor_id for g in grants if g.counsellor_id}
    organisations = {g.organisation_id for g in grants if g.organisation_id}
    members = db.scalars(
        select(Membership.person_id).where(Membership.organisation_id.in_(organisations))
    ).all()
    for person_id in sorted(direct | set(members)):
        person = db.get_one(Person, person_id)
        access = vault_access(db, settings, person, vault, Action.VIEW)
        if person.erased_at is None and access is not None and access.shows(document):
            yield Recipient(person, access.grant_for(document))


def _message(
    settings: Settings,
    wording: Wording,
    recipient: Recipient,
    address: str,
    category: str,
    expires_on: date,
) -> EmailMessage:
    language = recipient.person.preferred_language
    if recipient.is_owner:
        subject, line, action, path = OWNER_SUBJECT, OWNER_LINE, OWNER_ACTION, "/papiers"
    else:
        subject, line, action, path = HELPER_SUBJECT, HELPER_LINE, HELPER_ACTION, "/personnes"
    text = wording.text(language, line) % {
        "category": wording.text(language, CATEGORIES.get(category, category)),
        "day": wording.day(language, expires_on),
    }
    lines = [text, "", wording.text(language, action)]
    if settings.public_url:
        lines.append(settings.public_url.rstrip("/") + path)
    message = EmailMessage()
    message["Subject"] = wording.text(language, subject)
    message["From"] = sender(settings)
    message["To"] = address
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain=sender(settings).rpartition("@")[2] or None)
    # Out-of-office answers and mail loops leave automatic messages alone (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines) + "\n")
    message["Content-Language"] = language  # after set_content, which resets Content-*
    return message


def _journal(
    db: Session, owner: Person, document: Document, recipient: Recipient, channel: str
) -> None:
    """A line in the owner's history: a reminder to them, or to a professional (named, as
    every use of a grant is)."""
    grant = recipient.grant
    organisation_id = None if grant is None else acting_for(db, recipient.person.id, grant)
    journal.record(
        db,
        subject_id=owner.id,
        actor_id=recipient.person.id if grant is not None else None,
        action=journal.REMINDER_SENT,
        target_id=document.id,
        source=channel,
        organisation_id=organisation_id,
        grant_id=grant.id if grant is not None else None,
    )


def forget(db: Session, document_id: str) -> None:
    """A paper's date changed (a renewed paper): its reminders start again."""
    db.execute(delete(Reminder).where(Reminder.document_id == document_id))


@dataclass(frozen=True)
class Banner:
    """A reminder waiting on the person's next page: whose paper, which kind, which date."""

    document_id: str
    vault_id: str
    owner_name: str
    category: str
    expires_on: date


def take_banners(db: Session, settings: Settings, person: Person) -> list[Banner]:
    """The person's waiting banners, marked seen: each is shown once. A paper gone to the bin,
    or no longer shown by the professional's grants, is not shown. A few statements however
    many wait: a counsellor of hundreds of people may find dozens in a morning."""
    now = utcnow()
    waiting = db.scalars(
        select(Reminder).where(
            Reminder.person_id == person.id,
            Reminder.channel == BANNER,
            Reminder.seen_at.is_(None),
        )
    ).all()
    if not waiting:
        return []
    papers = db.execute(
        select(Document, Vault.owner_id, Person.display_name)
        .join(Vault, Vault.id == Document.vault_id)
        .join(Person, Person.id == Vault.owner_id)
        .where(Document.id.in_({r.document_id for r in waiting}), Document.deleted_at.is_(None))
    ).all()
    accesses = vault_accesses(db, settings, person, Action.VIEW)
    shown: dict[str, Banner] = {}
    for document, owner_id, owner_name in papers:
        if document.expires_on is None:
            continue
        if owner_id != person.id:
            access = accesses.get(document.vault_id)
            if access is None or not access.shows(document):
                continue
        shown[document.id] = Banner(
            document.id, document.vault_id, owner_name, document.category, document.expires_on
        )
    for reminder in waiting:
        reminder.seen_at = now
    db.flush()
    return sorted(shown.values(), key=lambda b: (b.expires_on, b.owner_name))
