"""What every provider client shares: the key, the (optionally owned) httpx client, the
retrying `ApiClient`, a key-free repr, and closing. Subclasses name their API's specifics."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import ClassVar, Self
from urllib.parse import quote

import httpx

from .base import (
    CreateResult,
    CredentialField,
    CredentialProblem,
    InvalidRequest,
    OverrideRequest,
    ProviderError,
    ProviderKind,
    Region,
    RemoteOverride,
    WriteCheck,
)
from .http import ApiClient, RetryPolicy, Secret, Sleep


def quote_id(value: str) -> str:
    """A provider id as one URL path segment."""
    return quote(value, safe="")


class HttpProvider:
    """Base of every provider client; each subclass declares its provider's facts below, which
    the rest of the bot reads through `bot.providers.registry.spec_for(kind)`.

    Datetimes in are taken as UTC when naive; datetimes out are aware UTC.
    """

    kind: ClassVar[ProviderKind]
    label: ClassVar[str]  # how people call it: "PagerDuty"
    #: the public API per region; a provider with one global host may override `default_base_url`
    base_urls: ClassVar[Mapping[Region, str]]
    #: the environment variable that replaces the base URL in every region (proxies, simulators)
    base_url_setting: ClassVar[str]
    allowed_paths: ClassVar[re.Pattern[str]]
    headers: ClassVar[Mapping[str, str]]
    #: the Authorization header is `auth_scheme` + the stored secret unless `authorization` is overridden
    auth_scheme: ClassVar[str]  # "Token token=", "GenieKey "
    requests_per_minute: ClassVar[int]  # the bot's budget per account (below the provider's limit)
    create_batch: ClassVar[int]  # overrides created per request (and per commit in an export)
    key_help: ClassVar[str]  # the connect form: where to find the key
    rate_limit_hint: ClassVar[Callable[[httpx.Response], float | None]]
    error_detail: ClassVar[Callable[[httpx.Response], str]]

    @classmethod
    def regions(cls) -> tuple[Region, ...]:
        return tuple(cls.base_urls)

    @classmethod
    def default_base_url(cls, region: Region | str) -> str:
        """The public API base URL in a region."""
        return cls.base_urls[Region(region)]

    @classmethod
    def api_url(cls, region: Region | str, override: str | None = None) -> str:
        """Where to send requests: the `base_url_setting` when set, else the region's public API."""
        return override.rstrip("/") if override else cls.default_base_url(region)

    burst: ClassVar[int] = 50  # requests an account may send at once before its bucket paces them
    #: what the connect form asks besides the key (none: the key alone is the secret)
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    #: the provider whose schedules this one's replace (its namesakes are suggested first when moving)
    succeeds: ClassVar[ProviderKind | None] = None

    @classmethod
    def pack_secret(cls, api_key: str, fields: Mapping[str, str]) -> str:
        """The secret stored (encrypted) for a key and the `credential_fields`' values; raises
        `CredentialProblem` naming the field that cannot be used."""
        return api_key

    @staticmethod
    def create_one_by_one(schedule_id: str, requests: Sequence[OverrideRequest],
                          create: Callable[[str, OverrideRequest], RemoteOverride]) -> list[CreateResult]:
        """One request per override. A content error (400/422) fails only that item; any other failure
        stops: raised when nothing was created yet, else the error of every item not done."""
        results: list[CreateResult] = []
        for i, request in enumerate(requests):
            try:
                results.append(CreateResult(request=request, override=create(schedule_id, request)))
            except InvalidRequest as exc:
                results.append(CreateResult(request=request, error=exc))
            except ProviderError as exc:
                if not any(r.ok for r in results):
                    raise
                results.extend(CreateResult(request=r, error=exc) for r in requests[i:])
                break
        return results

    def secret_to_store(self) -> str | None:
        """After a successful check: the secret with what the provider told on the way (JSM: the
        site's cloudId), or None to store the one tried."""
        return None

    @classmethod
    def refusal(cls, error: Exception, fields: Mapping[str, str]) -> CredentialProblem | None:
        """A failed check said under one of the `credential_fields` (None: the bot's usual wording)."""
        return None

    @classmethod
    def authorization(cls, secret: str) -> str:
        """The Authorization header value for a stored secret."""
        return f"{cls.auth_scheme}{secret}"

    @classmethod
    def pacing_key(cls, secret: str) -> str:
        """What identifies the account for its token bucket (by default the whole secret)."""
        return secret

    @classmethod
    def site(cls, secret: str) -> str | None:
        """The account's own host when it has one (shown beside the connection; never a secret part)."""
        return None

    @classmethod
    def secrets(cls, secret: str) -> tuple[str, ...]:
        """Every form of the secret that must be masked in logs (by default the secret itself)."""
        return (secret,)

    @classmethod
    def options(cls, settings: object) -> dict[str, object]:
        """Constructor keywords this provider reads from the bot's settings (none by default)."""
        return {}

    def __init__(
        self,
        api_key: str,
        *,
        client: httpx.Client | None = None,
        base_url: str | None = None,
        region: Region | str = Region.US,
        timeout: float = 10.0,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        """`clock` says what "now" is (tests run on a simulated one; the system clock otherwise)."""
        self.region = Region(region)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._key = Secret(api_key)
        self._owns_client = client is None
        self._client = client or httpx.Client()
        cls = type(self)
        self._api = ApiClient(
            label=self.label,
            client=self._client,
            base_url=base_url or self.default_base_url(self.region),
            setting=self.base_url_setting,
            auth_header=lambda: cls.authorization(self._key.reveal()),
            headers=self.headers,
            timeout=timeout,
            sleep=sleep,
            rng=rng,
            policy=policy,
            hint=cls.rate_limit_hint,
            detail=cls.error_detail,
            allowed_paths=self.allowed_paths,
        )

    @property
    def base_url(self) -> str:
        return self._api.base_url

    @property
    def key_hint(self) -> str:
        return self._key.hint

    def __repr__(self) -> str:
        return f"{type(self).__name__}(region={self.region.value!r}, base_url={self.base_url!r})"

    def can_write(self) -> bool | None:
        return None

    def check_write(self, schedule_id: str | None, schedule_name: str = "") -> WriteCheck:
        """By default the check needs no schedule: `can_write()`."""
        return WriteCheck(self.can_write())

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
