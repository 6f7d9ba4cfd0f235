"""Which requests the playground server answers: the ``Host`` and cross-site checks.

A page on another site must not drive the API, neither through DNS rebinding (a name
of the attacker's that resolves to this machine: refused by the ``Host`` check) nor
through a cross-site request (refused by the ``Origin``, ``Sec-Fetch-Site`` and
``Content-Type`` checks).  Bound to a wildcard address (``--host 0.0.0.0``), the
server answers to every address of this machine, its own host name and localhost.
"""

from __future__ import annotations

import functools
import ipaddress
import socket

__all__ = ["LOCAL_NAMES", "cross_site_problem", "host_is_allowed", "is_local_address"]

LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARDS = ("0.0.0.0", "::", "")


@functools.lru_cache(maxsize=256)
def is_local_address(text: str) -> bool:
    """Whether ``text`` is an IP address of this machine: it can be bound to (port 0, released at once)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if address.is_unspecified or address.is_multicast:
        return False
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def own_names() -> frozenset[str]:
    """This machine's own host names, lower case (not names of anyone else's DNS)."""
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    return frozenset(name for name in names if name)


def _split(host: str) -> tuple[str, str]:
    """``name, port`` of a Host header; an IPv6 literal keeps its brackets off."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else ""
    name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
    return name, port


def host_is_allowed(host: str, bound: str, port: int) -> bool:
    """Whether a request with this ``Host`` header is for this server, bound to ``bound:port``."""
    name, given_port = _split(host)
    if given_port != str(port) or not name:
        return False
    local = {"localhost", "127.0.0.1", "::1"}
    if bound in ("127.0.0.1", "::1", "localhost"):
        return name in local
    if bound not in WILDCARDS:
        return name == bound.lower().strip("[]") or name in local
    return name in local or name in own_names() or is_local_address(name)


def cross_site_problem(origin: str | None, fetch_site: str | None, host: str) -> str | None:
    """Why an API request comes from another site, or None: a foreign ``Origin`` or ``Sec-Fetch-Site``."""
    if (fetch_site or "").lower() == "cross-site":
        return "refused: a page on another site cannot use this playground's API"
    if origin is not None and origin.lower().rstrip("/") not in (f"http://{host.lower()}", f"https://{host.lower()}"):
        return f"refused: requests from {origin!r:.80} cannot use this playground's API"
    return None
