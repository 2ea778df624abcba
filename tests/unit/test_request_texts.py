"""Every text a request body gives is bounded (webui/api/schemas.py, MAX_ID): a lone surrogate
in an unbounded one went on to the database and answered 500 (review of 2026-12-05)."""

import importlib
import inspect
import json
import pkgutil
import types
import typing

import pytest
from pydantic import BaseModel, ValidationError

from webui import api
from webui.api import schemas


def request_models() -> list[type[BaseModel]]:
    """The bodies the API reads: its modules' models named ...In or ...Patch."""
    found = []
    for module_info in pkgutil.iter_modules(api.__path__):
        module = importlib.import_module(f"{api.__name__}.{module_info.name}")
        for name, model in vars(module).items():
            if (
                inspect.isclass(model)
                and issubclass(model, BaseModel)
                and model.__module__ == module.__name__
                and name.endswith(("In", "Patch"))
            ):
                found.append(model)
    return found


def unbounded_texts() -> list[str]:
    found = []
    for model in request_models():
        for field_name, field in model.model_fields.items():
            kind = field.annotation
            optional = typing.get_origin(kind) in (typing.Union, types.UnionType)
            texts = kind is str or (optional and str in typing.get_args(kind))
            bounded = any(getattr(rule, "max_length", None) for rule in field.metadata)
            if texts and not bounded:
                found.append(f"{model.__name__}.{field_name}")
    return found


def test_the_scan_reads_the_request_bodies() -> None:
    names = {model.__name__ for model in request_models()}
    assert {"GrantIn", "ShareIn", "ProfilePatch", "DocumentPatch"} <= names


def test_every_text_of_a_request_is_bounded() -> None:
    assert unbounded_texts() == []


def test_a_lone_surrogate_in_an_id_is_refused_before_the_database() -> None:
    body = json.loads(b'{"scopes": ["view"], "counsellor_id": "\\ud800"}')
    with pytest.raises(ValidationError, match="unicode"):
        schemas.GrantIn.model_validate(body)
