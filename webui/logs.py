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


class FaultLogged(Exception):
    """Raised to the server for a fault that has its log line already (webui.faults): the
    answer had started, so the server must cut the connection."""


class DropLoggedFaults(logging.Filter):
    """The server's « Exception in ASGI application » for a FaultLogged: its traceback would
    only repeat the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], FaultLogged))


def log_config() -> dict[str, Any]:
    """uvicorn's own logging, with share tokens and private queries hidden on every line it
    writes; coffre's own lines (webui.errors, webui.faults) go the same way."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    filters = config.setdefault("filters", {})
    filters["hide_share_tokens"] = {"()": HideShareTokens}
    filters["drop_logged_faults"] = {"()": DropLoggedFaults}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).extend(["hide_share_tokens", "drop_logged_faults"])
    config["loggers"]["coffre"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
