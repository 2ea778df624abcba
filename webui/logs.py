"""What the server writes in its logs. The access log names every request's path, and a share
link's token is in its path (/s/<token>, or a page's address given back in ?retour=): anyone
who reads the logs could open the copy. The token is hidden before a line is written, and so is
the query of a route that carries personal data in it (the name given to login-suggestion)."""

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

_SHARE_TOKEN = re.compile(r"(/|%2F)s(/|%2F)[A-Za-z0-9_-]+", re.IGNORECASE)
# Routes whose query carries what a person typed: their name, to build a login from it.
_PRIVATE_QUERY = re.compile(
    r"((?:/|%2F)api(?:/|%2F)v1(?:/|%2F)login-suggestion)(?:\?|%3F)[^\s\"]*", re.IGNORECASE
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


def log_config() -> dict[str, Any]:
    """uvicorn's own logging, with share tokens and private queries hidden on every line it
    writes; coffre's own lines (webui.errors, webui.faults) go the same way."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    filters = config.setdefault("filters", {})
    filters["hide_share_tokens"] = {"()": HideShareTokens}
    filters["drop_told_faults"] = {"()": DropToldFaults}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).extend(["hide_share_tokens", "drop_told_faults"])
    config["loggers"]["coffre"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
