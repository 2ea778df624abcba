"""Every text a request body gives is bounded (webui/api/schemas.py, MAX_ID): a lone surrogate
in an unbounded one went on to the database and answered 500 (review of 2026-12-05)."""

import inspect
import json

import pytest
from pydantic import BaseModel, ValidationError

from webui.api import schemas


def unbounded_texts() -> list[str]:
    found = []
    for name, model in vars(schemas).items():
        if not (inspect.isclass(model) and issubclass(model, BaseModel)) or not name.endswith("In"):
            continue
        for field_name, field in model.model_fields.items():
            annotation = str(field.annotation)
            bounded = any(getattr(rule, "max_length", None) for rule in field.metadata)
            if "str" in annotation and "list" not in annotation and not bounded:
                found.append(f"{name}.{field_name}")
    return found


def test_every_text_of_a_request_is_bounded() -> None:
    assert unbounded_texts() == []


def test_a_lone_surrogate_in_an_id_is_refused_before_the_database() -> None:
    body = json.loads(b'{"scopes": ["view"], "counsellor_id": "\\ud800"}')
    with pytest.raises(ValidationError, match="unicode"):
        schemas.GrantIn.model_validate(body)
