"""What the server writes in its logs. The access log names every request's path, and a share
link's token is in its path (/s/<token>, or a page's address given back in ?retour=): anyone
who reads the logs could open the copy. The token is hidden before a line is written."""

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

_SHARE_TOKEN = re.compile(r"(/|%2F)s(/|%2F)[A-Za-z0-9_-]+", re.IGNORECASE)
HIDDEN = "…"


def hide_share_tokens(text: str) -> str:
    return _SHARE_TOKEN.sub(rf"\1s\2{HIDDEN}", text)


class HideShareTokens(logging.Filter):
    """Rewrites a record's message and arguments (uvicorn passes the path as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = hide_share_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_share_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging, with share tokens hidden on every line it writes."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["hide_share_tokens"] = {"()": HideShareTokens}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("hide_share_tokens")
    return config
