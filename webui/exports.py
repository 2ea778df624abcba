"""The answer of « take everything », shared by the API and the account page: a ZIP sent as it
is made, never held whole in memory or on disk."""

from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from vault.documents.export.archive import zip_stream
from vault.documents.export.service import journal_csv, members, prepare_export
from vault.models import Person
from vault.runtime import Runtime
from webui.pages.history_words import plain_sentence
from webui.served import served_headers


def export_response(db: Session, rt: Runtime, person: Person, vault_id: str) -> StreamingResponse:
    export = prepare_export(db, rt, person, vault_id)
    journal = journal_csv(db, rt, person, plain_sentence)
    db.commit()  # the journal line is kept before the first byte leaves, however far it gets
    db.close()
    return StreamingResponse(
        zip_stream(members(rt, export, journal)),
        media_type="application/zip",
        headers=served_headers("attachment", export.filename),
    )
