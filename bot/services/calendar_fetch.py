"""Fetching a member's calendar feed over HTTP, refusing addresses inside private networks."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx


class FeedAddressRefused(ValueError):
    """The feed address (or a redirect) points at a host the bot may not fetch from."""


MAX_REDIRECTS = 5


def private_address_guard(url: str) -> None:
    """Refuse feeds on loopback, private, link-local or reserved addresses.

    Calendar URLs are typed by users, so an unchecked fetch would let anyone make the bot call
    internal services (cloud metadata, admin ports). Every address the name resolves to is checked.
    """
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        raise FeedAddressRefused(f"the calendar host {host!r} cannot be resolved") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise FeedAddressRefused(
                f"the calendar address points into a private network ({host}); only public calendar "
                "servers can be used"
            )


def fetch_ics(
    url: str,
    *,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    guard: Callable[[str], None] | None = private_address_guard,
) -> str:
    """GET the feed (webcal:// is fetched over https), following up to 5 redirects.

    `guard` vets the address and every redirect target before it is requested (None: no check).
    Raises FeedAddressRefused, or httpx errors on failure.
    """
    if url.startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    own = client is None
    client = client or httpx.Client(timeout=timeout)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            if guard is not None:
                guard(url)
            response = client.get(url, timeout=timeout, follow_redirects=False)
            if not response.is_redirect:
                response.raise_for_status()
                return response.text
            url = str(response.next_request.url) if response.next_request else url
        raise httpx.TooManyRedirects("too many redirects", request=response.request)
    finally:
        if own:
            client.close()
