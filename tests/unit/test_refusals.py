"""What webui/refusals.py reads in code, on small functions: the schema's statuses rest on it."""

from sqlalchemy.orm import Session

from storage.base import BlobStoreError, StoreFullError
from vault.accounts.hold import check_document
from vault.config import Settings
from vault.errors import ForbiddenError, LockedError, NotFoundError
from vault.models import Document, Person
from vault.policy import Action
from vault.runtime import Runtime
from webui.refusals import Refusal, reach


def caught_for_good() -> None:
    try:
        raise NotFoundError("x")
    except NotFoundError:
        pass


def raised_again() -> None:
    try:
        raise NotFoundError("x")
    except NotFoundError as exc:
        print(exc)
        raise


def turned_into_another(document_id: str) -> None:
    try:
        raise NotFoundError(document_id)
    except NotFoundError as exc:
        raise ForbiddenError("y") from exc


def test_a_refusal_caught_for_good_is_not_one() -> None:
    assert reach(caught_for_good) == frozenset()
    assert reach(raised_again) == {Refusal(NotFoundError)}
    assert reach(turned_into_another) == {Refusal(ForbiddenError)}


def store_checked(rt: Runtime) -> None:
    rt.store.check()


def test_an_interface_fails_as_it_says_whichever_runs_behind_it() -> None:
    """`rt.store` is a BlobStore by the annotations; any store may fail with BlobStoreError."""
    assert reach(store_checked) == {Refusal(BlobStoreError)}


def store_written(rt: Runtime) -> None:
    rt.store.put("name", [b"bytes"])


def test_a_write_may_find_the_store_full() -> None:
    assert reach(store_written) == {Refusal(BlobStoreError), Refusal(StoreFullError)}
    assert Refusal(StoreFullError) not in reach(store_checked)


def opened(db: Session, settings: Settings, owner: Person, document: Document) -> None:
    check_document(db, settings, owner, document, Action.VIEW)


def test_a_refusal_built_by_a_method_of_a_returned_value_is_found() -> None:
    """vault/accounts/hold.py raises `gate.refusal()`, `gate` coming from a function annotated to
    return a Gate: its method builds the LockedError."""
    assert Refusal(LockedError) in reach(opened)
