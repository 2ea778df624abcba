"""What the server writes in its logs. The access log names every request's path, and a share
link's token is in its path (/s/<token>, or a page's address given back in ?retour=): anyone
who reads the logs could open the copy. The token is hidden before a line is written, and so is
the query of a route that carries personal data in it (the name given to login-suggestion, the
name a counsellor searches for among their people)."""

import copy
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal

from uvicorn.config import LOGGING_CONFIG

from webui.observability import current_request_id

_SHARE_TOKEN = re.compile(r"(/|%2F)s(/|%2F)[A-Za-z0-9_-]+", re.IGNORECASE)
# Routes whose query carries what a person typed: their name, to build a login from it; the
# name of a person a counsellor looks for, on the page and through the API. With a slash at the
# end too: the app answers it with a redirect, which uvicorn logs with its query.
_PRIVATE_QUERY = re.compile(
    r"((?:/|%2F)(?:api(?:/|%2F)v1(?:/|%2F)(?:login-suggestion|beneficiaries)|personnes)"
    r"(?:/|%2F)?)(?:\?|%3F)[^\s\"]*",
    re.IGNORECASE,
)
HIDDEN = "…"


def hide_share_tokens(text: str) -> str:
    return _SHARE_TOKEN.sub(rf"\1s\2{HIDDEN}", text)


def private_path(text: str) -> str:
    """A path, with or without its query, as a log line may show it."""
    return _PRIVATE_QUERY.sub(rf"\1?{HIDDEN}", hide_share_tokens(text))


class HideShareTokens(logging.Filter):
    """Rewrites a record's message and arguments (uvicorn passes the path as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = private_path(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                private_path(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_TOLD = "_coffre_told_in_one_line"


def told(exc: BaseException) -> None:
    """Mark a fault whose line is written (webui.faults): the server's own report of it, with
    its traceback, is dropped by DropToldFaults. It still goes up to the server, which cuts the
    connection of an answer that had started."""
    setattr(exc, _TOLD, True)


class DropToldFaults(logging.Filter):
    """The server's « Exception in ASGI application » for a fault already told in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not getattr(exc, _TOLD, False)


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line whatever it holds: a traceback is a field (its
    line breaks escaped), never lines of its own. Written while a request runs, it names the
    request's id; the request's own line (webui/observability.py) adds its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id is not None:
            line["request_id"] = request_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(log_format: Literal["text", "json"] = "text") -> dict[str, Any]:
    """uvicorn's own logging, with share tokens and private queries hidden on every line it
    writes; coffre's own lines (webui.errors, webui.faults) go the same way.

    "text": uvicorn's lines as they are, its access line for each request. "json": every line a
    JSON object, and coffre's request line (route template, status, duration, bytes) in place
    of uvicorn's access line, which names the path itself."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    filters = config.setdefault("filters", {})
    filters["hide_share_tokens"] = {"()": HideShareTokens}
    filters["drop_told_faults"] = {"()": DropToldFaults}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).extend(["hide_share_tokens", "drop_told_faults"])
    config["loggers"]["coffre"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    quiet = {"handlers": [], "level": "INFO", "propagate": False}
    if log_format == "text":
        config["loggers"]["coffre.requests"] = quiet
        return config
    config["formatters"] = {"json": {"()": JsonLines}}
    for handler in config["handlers"].values():
        handler["formatter"] = "json"
    config["loggers"]["uvicorn.access"] = quiet
    # Modules' own loggers (vault.documents.unreadable, storage.s3...) go up to the root: in
    # JSON too, at the level Python's last-resort handler shows them in text.
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
