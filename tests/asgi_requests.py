"""A request handed straight to the app, as a server would: for what a test client cannot do
(cut a body short, count how much of it the app reads)."""

from typing import Any


def post_scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The ASGI scope of a POST to `path` from a local client, with these headers."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"coffre.test"),
            *((name.encode(), value.encode()) for name, value in headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("coffre.test", 80),
    }
