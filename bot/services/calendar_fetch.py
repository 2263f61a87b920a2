"""Fetching a member's calendar feed: one vetted address per hop, an overall deadline, a size cap.

Calendar URLs are typed by users, so a fetch must not become a way into the bot's own network
or a way to hold its threads:

- `parse_feed_url` validates the whole address before anything is saved or fetched.
- Each hop (the address, then every redirect, at most `FetchLimits.max_redirects`) resolves the
  host once, refuses it when any answer is not a public unicast address (`refusal`), and connects
  to that vetted address (`_PinnedBackend`): the URL keeps the name, so the Host header and the
  TLS server name (certificate check) are the real ones, but no second DNS answer is used.
- The whole fetch, DNS included, has one deadline (`FetchLimits.seconds`): every socket read and
  write waits at most the time left. The body is streamed and reading stops past
  `FetchLimits.max_bytes`. No compression is requested, so the cap is the size on the wire.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

import httpcore
import httpx

from bot.services.deadline import DeadlineExceeded, run_with_deadline

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

SCHEMES = ("https", "http", "webcal")
MAX_URL_LENGTH = 2048
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class FetchLimits:
    seconds: float = 20.0  # the whole fetch: DNS, connects, redirects and body
    max_bytes: int = 4 * 1024 * 1024
    max_redirects: int = 5

    @property
    def size_text(self) -> str:
        return f"{self.max_bytes / 1024 / 1024:g} MiB"


LIMITS = FetchLimits()


class FeedError(Exception):
    """A feed could not be read; the text is for people and never contains the address."""

    status = "error"  # short word for the feed's stored status


class FeedURLInvalid(FeedError):
    pass


class FeedAddressRefused(FeedError):
    """The feed address (or a redirect) points at a host the bot may not fetch from."""

    status = "refused"


class FeedTooLarge(FeedError):
    status = "too large"


class FeedTooSlow(FeedError):
    status = "too slow"


class FeedHTTPStatus(FeedError):
    def __init__(self, code: int):
        super().__init__(f"the calendar server answered HTTP {code}")
        self.code = code


class FeedUnreachable(FeedError):
    pass


@dataclass(frozen=True)
class FeedURL:
    """A validated feed address. `host` is ASCII (IDNA), without brackets for IPv6."""

    scheme: str  # "http" | "https" (webcal is read as https)
    host: str
    port: int
    target: str  # path and query, percent-encoded
    url: str  # the address as given, for joining redirects

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse_feed_url(text: str) -> FeedURL:
    """The address checked as a whole; FeedURLInvalid (whose text never repeats it) otherwise."""
    if len(text) > MAX_URL_LENGTH:
        raise FeedURLInvalid(f"the address is longer than {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(text)
        port = url.port
    except (httpx.InvalidURL, ValueError, UnicodeError):
        raise FeedURLInvalid("the address is not a valid URL") from None
    scheme = url.scheme.lower()
    if scheme not in SCHEMES:
        raise FeedURLInvalid("the address must start with https://, http:// or webcal://")
    if url.userinfo:
        raise FeedURLInvalid("addresses with a user name or password are not supported")
    try:
        host = url.raw_host.decode("ascii").lower().rstrip(".")
    except UnicodeError:
        raise FeedURLInvalid("the address has an invalid host name") from None
    if not host:
        raise FeedURLInvalid("the address has no host name")
    if not _is_ip(host) and (len(host) > 253 or not all(_LABEL.fullmatch(p) for p in host.split("."))):
        raise FeedURLInvalid("the address has an invalid host name (each part at most 63 letters, digits or -)")
    if port is not None and not 0 < port < 65536:
        raise FeedURLInvalid("the address has an invalid port")
    scheme = "https" if scheme == "webcal" else scheme
    port = port or (443 if scheme == "https" else 80)
    return FeedURL(scheme, host, port, url.raw_path.decode("ascii") or "/", text)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def refusal(address: IPAddress) -> str | None:
    """Why the bot may not connect to `address` (None: a public unicast address)."""
    for kind in ("multicast", "unspecified", "loopback", "link_local"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped or int(address) >> 32 == 0:  # ::ffff:a.b.c.d and ::a.b.c.d
            return "an IPv4-mapped or IPv4-compatible IPv6 address"
        if address.teredo or address.is_site_local:
            return "a tunnel or site-local IPv6 address"
        inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else address.sixtofour
        if inner is not None:  # NAT64 and 6to4 lead to an IPv4 address: that one decides
            why = refusal(inner)
            return f"{why} (inside an IPv6 address)" if why else None
    for kind in ("private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind
    return None if address.is_global else "not public"


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (one DNS lookup)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in infos))


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise FeedTooSlow(f"the calendar server did not send the calendar within {self.seconds:g} seconds")
        return left

    def clamp(self, timeout: float | None) -> float:
        left = self.left()
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write waits at most until the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline):
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, self._deadline.clamp(timeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the vetted address whatever host the URL names (no second resolution)."""

    def __init__(self, address: str, deadline: _Deadline, network: httpcore.NetworkBackend):
        self._address, self._deadline, self._network = address, deadline, network

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:
        stream = self._network.connect_tcp(self._address, port, self._deadline.clamp(timeout), local_address,
                                           socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, *args, **kwargs):  # never used: feeds are fetched over TCP only
        raise FeedUnreachable("unix sockets are not supported")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self._deadline.left()))


def _vet(feed: FeedURL, allow_private: bool, resolver: Resolver, deadline: _Deadline) -> str:
    """One resolution of the hop's host; the address to connect to, or FeedAddressRefused."""
    try:
        answers = run_with_deadline(lambda: resolver(feed.host, feed.port), deadline.left())
    except DeadlineExceeded:
        deadline.left()  # raises FeedTooSlow when the time is up
        raise FeedTooSlow("the calendar host name did not resolve in time") from None
    except OSError:
        raise FeedAddressRefused(f"the calendar host {feed.host} cannot be resolved") from None
    addresses = [ipaddress.ip_address(a) for a in answers]
    if not addresses:
        raise FeedAddressRefused(f"the calendar host {feed.host} cannot be resolved")
    if not allow_private and any(refusal(a) for a in addresses):
        raise FeedAddressRefused(
            f"the calendar address points into a private network ({feed.host}); only public calendar "
            "servers can be used"
        )
    first = addresses[0]
    if isinstance(first, ipaddress.IPv6Address) and first.ipv4_mapped:
        first = first.ipv4_mapped
    return str(first)


def _hop(feed: FeedURL, address: str, limits: FetchLimits, deadline: _Deadline,
         network: httpcore.NetworkBackend) -> str | bytes:
    """One request: the body (bytes), or the next address (str) for a redirect."""
    backend = _PinnedBackend(address, deadline, network)
    url = httpcore.URL(scheme=feed.scheme.encode(), host=feed.host.encode(), port=feed.port,
                       target=feed.target.encode())
    headers = [(b"Host", feed.authority.encode()), (b"Accept", b"text/calendar, */*;q=0.5"),
               (b"Accept-Encoding", b"identity"), (b"User-Agent", b"oncall-bot calendar")]
    left = deadline.left()
    extensions = {"timeout": {"connect": left, "read": left, "write": left, "pool": left}}
    with httpcore.ConnectionPool(ssl_context=_tls(), network_backend=backend,
                                 max_connections=1) as pool, \
            pool.stream("GET", url, headers=headers, extensions=extensions) as response:
        head = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
        if response.status in _REDIRECTS and head.get("location"):
            return head["location"]
        if response.status >= 400:
            raise FeedHTTPStatus(response.status)
        too_large = FeedTooLarge(f"feed too large: the calendar is over {limits.size_text}")
        if head.get("content-length", "").isdigit() and int(head["content-length"]) > limits.max_bytes:
            raise too_large
        body = bytearray()
        for chunk in response.iter_stream():
            body += chunk
            if len(body) > limits.max_bytes:
                raise too_large
            deadline.left()
        return bytes(body)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context for every fetch (loading the CA store is the costly part)."""
    return ssl.create_default_context()


def _decode(body: bytes) -> str:
    return body.decode("utf-8-sig", errors="replace")


def fetch_ics(url: str, *, allow_private: bool = False, limits: FetchLimits | None = None,
              resolver: Resolver = resolve, network: httpcore.NetworkBackend | None = None) -> str:
    """GET the feed (webcal:// is read over https) within `limits`; raises a FeedError subclass.

    `resolver` and `network` (the socket layer under the pinned backend) are for tests.
    """
    limits = limits or LIMITS
    deadline = _Deadline(limits.seconds)
    network = network or httpcore.SyncBackend()
    feed = parse_feed_url(url)
    for _ in range(limits.max_redirects + 1):
        address = _vet(feed, allow_private, resolver, deadline)
        try:
            result = _hop(feed, address, limits, deadline, network)
        except httpcore.TimeoutException:
            deadline.left()
            raise FeedUnreachable("the calendar server did not answer in time") from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, ssl.SSLError) as exc:
            raise FeedUnreachable(f"could not reach the calendar server ({type(exc).__name__})") from None
        if isinstance(result, bytes):
            return _decode(result)
        try:
            feed = parse_feed_url(urljoin(feed.url.replace("webcal://", "https://", 1), result))
        except FeedURLInvalid as exc:
            raise FeedUnreachable(f"the calendar server redirected to an unusable address ({exc})") from None
        if feed.url.lower().startswith("webcal://"):
            raise FeedUnreachable("the calendar server redirected to an unusable address")
    raise FeedUnreachable(f"the calendar server redirected more than {limits.max_redirects} times")
