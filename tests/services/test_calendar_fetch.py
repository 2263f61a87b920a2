"""Calendar fetches: URL validation, one vetted address per hop, deadline and size cap."""

from __future__ import annotations

import socket

import httpcore
import pytest

from bot.services import calendar_fetch
from bot.services.calendar_fetch import (
    FeedAddressRefused,
    FeedHTTPStatus,
    FeedTooLarge,
    FeedTooSlow,
    FeedURLInvalid,
    FetchLimits,
    fetch_ics,
    parse_feed_url,
)
from tests.services.feed_server import FeedServer, elapsed

PUBLIC, OTHER_PUBLIC = "93.184.216.34", "93.184.216.35"
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def server():
    s = FeedServer()
    yield s
    s.close()


class Network(httpcore.SyncBackend):
    """The socket layer: records where the bot connects; the 'public' addresses lead to the server."""

    def __init__(self, server: FeedServer, public: tuple[str, ...] = (PUBLIC, OTHER_PUBLIC)):
        self.server, self.public, self.connects = server, public, []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.connects.append(host)
        target = "127.0.0.1" if host in self.public else host
        return super().connect_tcp(target, self.server.port if host in self.public else port, timeout,
                                   local_address, socket_options)


def resolver(answers: dict[str, list[str]], calls: list[str]):
    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[host].pop(0) if isinstance(answers[host][0], list) else answers[host]

    return resolve


def test_a_rebinding_name_is_resolved_once_and_the_vetted_address_is_used(server, monkeypatch):
    """The name answers public first and loopback second: the bot connects to the public answer."""
    server.docs["/cal.ics"] = ICS
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        if host != "feed.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        ip = PUBLIC if len(lookups) == 1 else "127.0.0.1"
        return real(ip, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    network = Network(server)
    assert fetch_ics(f"http://feed.test:{server.port}/cal.ics", network=network) == ICS
    assert lookups == ["feed.test"] and network.connects == [PUBLIC]
    assert server.requests == [("/cal.ics", f"feed.test:{server.port}")], "the Host header keeps the name"

    # without the pinned socket layer the public answer is unreachable: still never the loopback server
    server.requests.clear()
    lookups.clear()
    took, result = elapsed(lambda: fetch_ics(f"http://feed.test:{server.port}/cal.ics",
                                             limits=FetchLimits(seconds=0.5)))
    assert isinstance(result, calendar_fetch.FeedError) and server.requests == [] and lookups == ["feed.test"]
    assert took < 2


def test_every_redirect_hop_is_resolved_once_and_vetted(server):
    server.redirects["/a"] = "http://other.test/b"
    server.redirects["/inside"] = "http://inside.test/x"
    server.docs["/b"] = ICS
    calls: list[str] = []
    network = Network(server)
    resolve = resolver({"feed.test": [PUBLIC], "other.test": [OTHER_PUBLIC], "inside.test": ["10.0.0.5"]}, calls)
    assert fetch_ics("http://feed.test/a", resolver=resolve, network=network) == ICS
    assert calls == ["feed.test", "other.test"] and network.connects == [PUBLIC, OTHER_PUBLIC]
    assert server.requests[-1] == ("/b", "other.test")
    with pytest.raises(FeedAddressRefused, match="private network"):
        fetch_ics("http://feed.test/inside", resolver=resolve, network=network)
    assert network.connects[-1] == PUBLIC and server.requests[-1][0] == "/inside"

    server.redirects["/loop"] = "/loop"
    with pytest.raises(calendar_fetch.FeedUnreachable, match="redirected more than 2"):
        fetch_ics("http://feed.test/loop", resolver=resolve, network=network, limits=FetchLimits(max_redirects=2))


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]", "localhost", "192.168.0.10",
                                  "[::127.0.0.1]", "[::ffff:127.0.0.1]", "224.0.0.1", "[ff02::1]", "0.0.0.0",
                                  "100.64.0.1", "[fe80::1]", "[64:ff9b::a00:1]", "2130706433"])
def test_private_multicast_and_mapped_addresses_are_refused(host):
    with pytest.raises(FeedAddressRefused, match="private network"):
        fetch_ics(f"http://{host}:9/feed.ics")


def test_a_name_with_one_private_answer_is_refused(server):
    network = Network(server)
    resolve = resolver({"feed.test": [PUBLIC, "127.0.0.1"]}, [])
    with pytest.raises(FeedAddressRefused):
        fetch_ics("http://feed.test/cal.ics", resolver=resolve, network=network)
    assert network.connects == []


def test_a_dripping_feed_stops_at_the_overall_deadline(server):
    server.drips["/drip.ics"] = (ICS.encode(), 0.05)  # ~2.4 s for the whole body, each read fast
    took, result = elapsed(lambda: fetch_ics(server.url("/drip.ics"), allow_private=True,
                                             limits=FetchLimits(seconds=0.4)))
    assert isinstance(result, FeedTooSlow) and "0.4 seconds" in str(result)
    assert took < 1.0


def test_a_silent_server_stops_at_the_overall_deadline(server):
    server.drips["/silent.ics"] = (b"x", 30)
    took, result = elapsed(lambda: fetch_ics(server.url("/silent.ics"), allow_private=True,
                                             limits=FetchLimits(seconds=0.3)))
    assert isinstance(result, FeedTooSlow) and took < 1.0


def test_the_body_is_capped_while_streaming(server):
    server.endless.add("/huge.ics")
    took, result = elapsed(lambda: fetch_ics(server.url("/huge.ics"), allow_private=True,
                                             limits=FetchLimits(max_bytes=256 * 1024)))
    assert isinstance(result, FeedTooLarge) and str(result) == "feed too large: the calendar is over 0.25 MiB" and took < 2
    server.docs["/big.ics"] = "X" * 2000  # announced by Content-Length: refused before reading
    with pytest.raises(FeedTooLarge):
        fetch_ics(server.url("/big.ics"), allow_private=True, limits=FetchLimits(max_bytes=1000))
    assert fetch_ics(server.url("/big.ics"), allow_private=True, limits=FetchLimits(max_bytes=2000)) == "X" * 2000


def test_http_errors(server):
    with pytest.raises(FeedHTTPStatus, match="HTTP 404"):
        fetch_ics(server.url("/missing.ics"), allow_private=True)


@pytest.mark.parametrize("url", ["https://[::1", "https://" + "a" * 64 + ".example.com/secret", "https://h..com/x",
                                 "https://user:secret@cal.example.com/x", "ftp://cal.example.com/x",
                                 "https://cal.example.com:99999/secret", "https:///secret", "https://" + "a" * 2100])
def test_invalid_addresses_are_refused_without_echo(url):
    with pytest.raises(FeedURLInvalid) as err:
        parse_feed_url(url)
    assert "secret" not in str(err.value) and "aaaa" not in str(err.value)


def test_valid_addresses():
    feed = parse_feed_url("webcal://Cal.Example.com/ical/a b.ics?k=1")
    assert (feed.scheme, feed.host, feed.port, feed.target) == ("https", "cal.example.com", 443, "/ical/a%20b.ics?k=1")
    assert parse_feed_url("https://bücher.example/x.ics").host == "xn--bcher-kva.example"
    assert parse_feed_url("http://[2606:4700::1111]:8080/x").authority == "[2606:4700::1111]:8080"


def _certificate(tmp_path, name: str):
    """A self-signed certificate for `name`: (cert file, key file)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_https_keeps_the_tls_server_name_while_connecting_to_the_vetted_address(server, tmp_path, monkeypatch):
    import ssl

    cert, key = _certificate(tmp_path, "feed.test")
    names: list[str | None] = []
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    tls.sni_callback = lambda _sock, name, _ctx: names.append(name)
    server.server.socket = tls.wrap_socket(server.server.socket, server_side=True)
    server.docs["/cal.ics"] = ICS
    monkeypatch.setattr(calendar_fetch, "_tls", lambda: ssl.create_default_context(cafile=str(cert)))
    network = Network(server)
    resolve = resolver({"feed.test": [PUBLIC], "other.test": [PUBLIC]}, [])
    assert fetch_ics(f"https://feed.test:{server.port}/cal.ics", resolver=resolve, network=network) == ICS
    assert names == ["feed.test"] and network.connects == [PUBLIC]
    assert server.requests == [("/cal.ics", f"feed.test:{server.port}")]
    with pytest.raises(calendar_fetch.FeedUnreachable):  # the certificate is checked against the name
        fetch_ics(f"https://other.test:{server.port}/cal.ics", resolver=resolve, network=network)
