"""Request and response bodies of the JSON API."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from vault.documents.service import DocumentView


class SessionIn(BaseModel):
    login: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class UserOut(BaseModel):
    id: str
    role: str
    display_name: str


class SessionOut(BaseModel):
    token: str
    user: UserOut


class MeOut(UserOut):
    login: str
    vault_id: str | None


class SignUpIn(BaseModel):
    login: str = Field(max_length=200)
    display_name: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    consent: bool = False


class SignUpOut(MeOut):
    pass


class DocumentOut(BaseModel):
    id: str
    vault_id: str
    title: str
    filename: str | None
    category: str
    content_type: str
    size: int
    expires_on: date | None
    uploaded_by: str
    created_at: datetime

    @classmethod
    def of(cls, view: DocumentView) -> "DocumentOut":
        return cls(
            id=view.id,
            vault_id=view.vault_id,
            title=view.title,
            filename=view.filename,
            category=view.category,
            content_type=view.content_type,
            size=view.size,
            expires_on=view.expires_on,
            uploaded_by=view.uploaded_by,
            created_at=view.created_at,
        )


class DocumentPatch(BaseModel):
    title: str | None = Field(default=None, max_length=1000)
    category: str | None = None
    expires_on: date | None = None


class ErrorOut(BaseModel):
    detail: str
    field: str | None = None
