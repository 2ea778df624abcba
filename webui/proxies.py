"""What a reverse proxy tells us, believed only from the proxies of COFFRE_TRUSTED_PROXIES: any
client can write X-Forwarded-For or X-Forwarded-Proto itself."""

import ipaddress

from starlette.datastructures import Headers
from starlette.types import Scope

from vault.config import Network


def is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    if not trusted:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def peer_of(scope: Scope) -> str:
    client = scope.get("client")
    return as_written(str(client[0])) if client else "unknown"


def as_written(address: str) -> str:
    """An IPv4 client seen through IPv6 (« ::ffff:a.b.c.d », from a dual-stack socket or proxy)
    as its IPv4 address: counted as its /64, every such client would share one count."""
    try:
        mapped = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(mapped, ipaddress.IPv6Address) and mapped.ipv4_mapped is not None:
        return str(mapped.ipv4_mapped)
    return address


def came_over_https(scope: Scope, trusted: tuple[Network, ...]) -> bool:
    """HTTPS to us, or to a trusted proxy that says so: its X-Forwarded-Proto, the right-most
    value (the one written by the proxy nearest to us)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    if not is_trusted(peer_of(scope), trusted):
        return False
    forwarded = ",".join(Headers(scope=scope).getlist("x-forwarded-proto"))
    values = [value.strip().lower() for value in forwarded.split(",") if value.strip()]
    return bool(values) and values[-1] == "https"
