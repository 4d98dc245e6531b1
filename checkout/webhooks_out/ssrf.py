"""Where a merchant's webhook URL may point (server-side request forgery guard).

A live-mode endpoint must resolve only to public unicast addresses: never loopback,
private, link-local, CGNAT, multicast, reserved, documentation or cloud metadata
addresses, in IPv4 or IPv6, including IPv4 embedded in IPv6 (mapped ``::ffff:a.b.c.d``,
NAT64, 6to4). A test-mode endpoint may also use loopback, private and CGNAT addresses (a
developer's receiver on their own machine or in another container) only on a development
install (``CHECKOUT_ENV=development``, or the test suite's ``test``) or where the operator
opted in with ``WEBHOOK_ALLOW_PRIVATE_TARGETS``: on a production install a test key must
not be a way to reach internal services (or the simulators' controls). Metadata,
link-local and the rest stay blocked in every mode, and nothing a non-public address
answers is kept (``is_public``).

The check runs when an endpoint is saved and again at every send, and the sender
connects to the very address that was checked (``pin``): a DNS answer that changes
between the check and the connection (rebinding) cannot redirect a delivery.
"""
import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000


class UnsafeUrl(ValueError):
    """The URL is malformed or points where webhooks may not go. ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


_N = ipaddress.ip_network
_BLOCKED = [(_N(n), reason) for n, reason in (
    ("0.0.0.0/8", "unspecified"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "cgnat"),
    ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link_local"),
    ("172.16.0.0/12", "private"), ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "documentation"), ("192.88.99.0/24", "reserved"),
    ("192.168.0.0/16", "private"), ("198.18.0.0/15", "reserved"),
    ("198.51.100.0/24", "documentation"), ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"), ("::1/128", "loopback"), ("::/96", "reserved"),
    ("64:ff9b:1::/48", "reserved"), ("100::/64", "reserved"),
    ("2001::/23", "reserved"), ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"), ("5f00::/16", "reserved"), ("fc00::/7", "private"),
    ("fe80::/10", "link_local"), ("fec0::/10", "reserved"), ("ff00::/8", "multicast"),
)]
# Instance metadata services (AWS, GCP, Azure, Alibaba, ECS...), named as such even
# where a range above already covers them.
_METADATA = {ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.169.253", "100.100.100.200",
    "168.63.129.16", "fd00:ec2::254", "fd00:ec2::23")}
_GLOBAL_UNICAST_V6 = _N("2000::/3")
_NAT64 = _N("64:ff9b::/96")
_SIX_TO_FOUR = _N("2002::/16")

ALLOWED_LOCAL = frozenset({"loopback", "private", "cgnat"})


def classify(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """``None`` for a public unicast address, else why it is not one: ``loopback``,
    ``private``, ``cgnat``, ``link_local``, ``multicast``, ``reserved``,
    ``documentation``, ``unspecified`` or ``metadata``. Raises ValueError if
    ``address`` is not an IP address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str)
                              else address)
    if ip in _METADATA:
        return "metadata"
    if ip.version == 6:
        embedded = _embedded_v4(ip)
        if embedded is not None:
            return classify(embedded)
    for network, reason in _BLOCKED:
        if ip.version == network.version and ip in network:
            return reason
    if ip.version == 6 and ip not in _GLOBAL_UNICAST_V6:
        return "reserved"
    return None


def _embedded_v4(ip):
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return None


def allowed_reasons(livemode: bool, config: Mapping[str, Any]) -> frozenset[str]:
    """The address classes a mode may target (``None`` = public, always allowed): none
    beyond public ones in live mode; local ones in test mode on a development install or
    with ``WEBHOOK_ALLOW_PRIVATE_TARGETS``."""
    if livemode:
        return frozenset()
    if config.get("DEVELOPMENT") or config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        return ALLOWED_LOCAL
    return frozenset()


def is_public(address: str | None) -> bool:
    """Whether ``address`` is a public unicast address (what it answers may be kept)."""
    if not address:
        return False
    try:
        return classify(address) is None
    except ValueError:
        return False


@dataclass(frozen=True)
class Target:
    """A parsed webhook URL: what to connect to and what to ask for."""

    scheme: str
    host: str          # IDNA-encoded host name or IP literal (no brackets)
    port: int
    path: str          # path and query, never empty
    address: str | None = None   # the checked IP to connect to (set by ``pin``)


def parse(url: str, livemode: bool) -> Target:
    """Parse and validate a webhook URL's shape; raises UnsafeUrl."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeUrl("url_invalid", "url must be an http(s) URL.")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl("url_invalid", f"url is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(ch) <= 32 or ord(ch) == 127 or ch == "\\" for ch in url):
        raise UnsafeUrl("url_invalid", "url contains spaces, control characters or '\\'.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("url_invalid", "url is not a valid URL.") from None
    if port == 0:
        raise UnsafeUrl("url_invalid", "url has an invalid port.")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl("url_invalid", "url must start with https:// (or http://).")
    if livemode and scheme != "https":
        raise UnsafeUrl("url_insecure", "Live-mode webhook URLs must use https://.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrl("url_invalid", "url must not contain a user name or password.")
    if parts.fragment or url.endswith("#"):
        raise UnsafeUrl("url_invalid", "url must not contain a #fragment.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("url_invalid", "url has no host.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnsafeUrl("url_invalid", "url has an invalid host name.") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in resolver order (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen = []
    for *_, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return seen


def check_addresses(addresses: Iterable[str], livemode: bool, config: Mapping[str, Any]) -> None:
    """Raise UnsafeUrl unless every address may be targeted in this mode."""
    allowed = allowed_reasons(livemode, config)
    for address in addresses:
        reason = classify(address)
        if reason is not None and reason not in allowed:
            where = "live" if livemode else "test"
            raise UnsafeUrl("url_forbidden",
                            f"url resolves to a {reason.replace('_', '-')} address "
                            f"({address}), which {where}-mode webhooks may not target.")


def pin(url: str, livemode: bool, config: Mapping[str, Any],
        require_resolution: bool = True) -> Target:
    """Parse, resolve and check ``url``; return its Target with the address to connect
    to. Every resolved address must be allowed (a mixed answer is refused). Raises
    UnsafeUrl; with ``require_resolution=False`` an unresolvable host is accepted and
    the Target has no address."""
    target = parse(url, livemode)
    try:
        addresses = resolve(target.host, target.port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        if require_resolution:
            raise UnsafeUrl("url_unresolvable", f"The host {target.host} does not resolve.")
        return target
    check_addresses(addresses, livemode, config)
    return Target(target.scheme, target.host, target.port, target.path, addresses[0])
