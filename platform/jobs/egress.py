"""Where the server may send requests for a tenant: the address policy (SSRF guard).

A webhook URL is written by a tenant admin, so the server must not be made to
reach its own network: loopback, private (RFC 1918), link-local (the cloud
metadata service at 169.254.169.254 included), CGNAT, unique-local IPv6,
IPv4-mapped and other special addresses are refused unless the operator allows
them: ``TRELLIS_WEBHOOK_ALLOW_PRIVATE=1`` allows every address, and
``TRELLIS_WEBHOOK_ALLOW`` a comma list of host names and addresses or networks
(``hooks.internal,10.1.0.0/16,::1``).

The host is resolved once; every address it resolves to must be allowed, and the
caller connects to the checked address (no second lookup, so no DNS rebinding).
Numeric hosts in any form ``inet_aton`` accepts (``2130706433``, ``0x7f.1``,
``0177.0.0.1``) are read as the address they mean before the check.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from trellis.platform.config import RuntimeConfig

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``(host, port) -> addresses``; tests inject a stub instead of DNS.
Resolver = Callable[[str, int], list[IPAddress]]

ALLOW_PRIVATE_ENV = "TRELLIS_WEBHOOK_ALLOW_PRIVATE"
ALLOW_ENV = "TRELLIS_WEBHOOK_ALLOW"
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_-]+)*$")
_NUMERIC_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")
_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
#: Special ranges with the words used in refusals, most specific first.
_RANGES: tuple[tuple[IPNetwork, str], ...] = (
    (_V4("169.254.169.254/32"), "the cloud metadata service"),
    (_V4("0.0.0.0/8"), "'this network' (0.0.0.0/8)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("10.0.0.0/8"), "private (RFC 1918)"),
    (_V4("172.16.0.0/12"), "private (RFC 1918)"),
    (_V4("192.168.0.0/16"), "private (RFC 1918)"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fc00::/7"), "unique-local (fc00::/7)"),
    (_V6("ff00::/8"), "multicast"),
)


class TargetRefusedError(Exception):
    """The target may not be contacted (policy or a malformed URL): retrying cannot help."""


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: mapped, compatible, NAT64, 6to4, Teredo."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    packed = int(address)
    if address in _V6("64:ff9b::/96") or (packed >> 32 == 0 and packed > 1):
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not a public address (words for a message), or None if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None:
            why = refusal(inner)
            if why is not None:
                return f"IPv6 form of {inner}, {why}"
            if address.ipv4_mapped is not None:
                return None
    for network, words in _RANGES:
        if address.version == network.version and address in network:
            return words
    return None if address.is_global else "not public (special-purpose)"


def parse_ip(host: str) -> IPAddress | None:
    """The address a numeric host means, in every form ``inet_aton`` reads; else None.

    ``2130706433``, ``0x7f.1``, ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1;
    ``[::ffff:7f00:1]`` (brackets optional) is an IPv6 address.
    """
    text = host.strip().rstrip(".").strip("[]")
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.match(p) for p in parts):
        return None
    *head, last = [_part_value(p) for p in parts]
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(parts)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    return ipaddress.IPv4Address(number * 256 ** (5 - len(parts)) + last)


def _part_value(part: str) -> int:
    """One part of a numeric host: ``0x`` hexadecimal, ``0`` octal, else decimal."""
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if len(part) > 1 and part[0] == "0" else int(part)


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address of ``host`` (TCP), from the system resolver.

    Raises:
        OSError: when the name does not resolve.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in out:
            out.append(address)
    return out


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """Which non-public targets the operator allows (nothing, by default)."""

    allow_private: bool = False
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, *, allow_private: bool, allow: str) -> EgressPolicy:
        """The policy of ``TRELLIS_WEBHOOK_ALLOW_PRIVATE`` and ``TRELLIS_WEBHOOK_ALLOW``.

        Raises:
            TargetRefusedError: when an entry of the allow list is neither a host name
                nor an address or network (the message names it).
        """
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in (e.strip() for e in allow.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = entry.lower().rstrip(".")
            if not _HOST_NAME.match(name) or parse_ip(name) is not None:
                raise TargetRefusedError(
                    f"{ALLOW_ENV} has the entry '{entry}', which is neither a host name nor "
                    "an address or network (like 10.0.0.0/8); fix it, then retry the job."
                )
            hosts.add(name)
        return cls(allow_private, tuple(networks), frozenset(hosts))

    def allows(self, host: str, address: IPAddress) -> bool:
        """Whether a request to ``host`` may go to ``address``."""
        if self.allow_private or refusal(address) is None:
            return True
        if host.lower().rstrip(".") in self.hosts:
            return True
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return any(address in n or (mapped is not None and mapped in n) for n in self.networks)


def policy_of(config: RuntimeConfig) -> EgressPolicy:
    """The deployment's policy (``RuntimeConfig.webhook_allow_private`` and ``webhook_allow``).

    Raises:
        TargetRefusedError: an entry of the allow list is malformed (the message names it).
    """
    return EgressPolicy.parse(
        allow_private=config.webhook_allow_private, allow=config.webhook_allow
    )


@dataclass(frozen=True, slots=True)
class Target:
    """A checked request target: connect to ``address``, speak to ``host``."""

    scheme: str
    host: str
    port: int
    address: IPAddress
    path: str


def _split(url: str) -> tuple[SplitResult, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefusedError(f"Webhook URL '{url}' is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefusedError(f"Webhook URL '{url}' is not an http or https URL.")
    return parts, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve_target(url: str, policy: EgressPolicy, resolver: Resolver = system_resolver) -> Target:
    """Check ``url`` against ``policy`` and pick the address to connect to.

    Raises:
        TargetRefusedError: when the URL is malformed or an address it resolves to is
            not allowed (the message names the address, why, and how to allow it).
        OSError: when the host name does not resolve (may be temporary).
    """
    parts, host, port = _split(url)
    literal = parse_ip(host)
    addresses = [literal] if literal is not None else resolver(host, port)
    if not addresses:
        raise OSError(f"Webhook host '{host}' has no address")
    for address in addresses:
        if not policy.allows(host, address):
            why = refusal(address)
            raise TargetRefusedError(
                f"Webhook URL '{url}' points to {address} ({why}), which is refused; "
                f"an operator can allow it with {ALLOW_ENV}={host} (or the address or "
                f"network) or {ALLOW_PRIVATE_ENV}=1."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, addresses[0], path)


__all__ = [
    "ALLOW_ENV",
    "ALLOW_PRIVATE_ENV",
    "EgressPolicy",
    "IPAddress",
    "Resolver",
    "Target",
    "TargetRefusedError",
    "parse_ip",
    "refusal",
    "resolve_target",
    "system_resolver",
]
