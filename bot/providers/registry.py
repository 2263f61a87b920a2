"""Every provider the bot knows, keyed by its kind: the one place a new provider is added.

A provider is one module with one class (a subclass of `bot.providers.client.HttpProvider`) that
declares its facts as class attributes: base URLs per region, the setting that overrides them,
auth scheme, request budget, create batch size, allowed paths, how it reads rate-limit hints and
error details, and what the connect form says about its key. Adding one means: the module, a
member of `ProviderKind` and its class in `_classes()` below. Everything else (settings, pacing,
export batches, log redaction, connect texts) reads the facts through `spec_for(kind)`.

The classes are imported on first use, so the provider modules can import `ProviderKind` from here.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import HttpProvider


class ProviderKind(StrEnum):
    """The value stored in `Connection.provider`."""

    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    JSM = "jsm"  # Jira Service Management Operations, Opsgenie's successor

    @property
    def label(self) -> str:
        """"PagerDuty", "Opsgenie": how people call it."""
        return spec_for(self).label


class UnknownProvider(ValueError):
    """A provider kind this version of the bot does not know (never silently another provider's)."""


@cache
def _classes() -> dict[ProviderKind, type[HttpProvider]]:
    from .jsm import JsmProvider
    from .opsgenie import OpsgenieProvider
    from .pagerduty import PagerDutyProvider

    classes = {cls.kind: cls for cls in (PagerDutyProvider, OpsgenieProvider, JsmProvider)}
    assert set(classes) == set(ProviderKind), "every ProviderKind needs its class here"
    return classes


def spec_for(kind: ProviderKind | str) -> type[HttpProvider]:
    """The class of a provider kind, whose attributes are its facts. UnknownProvider otherwise."""
    try:
        return _classes()[ProviderKind(kind)]
    except ValueError:
        raise UnknownProvider(f"unknown provider {kind!r} (known: {', '.join(kinds())})") from None


def kinds() -> tuple[ProviderKind, ...]:
    """Every provider kind, in the order the connect form offers them."""
    return tuple(ProviderKind)


def any_of() -> str:
    """The providers in words for texts: "PagerDuty or Opsgenie" ("A, B or C" for three)."""
    labels = [spec.label for spec in specs()]
    return " or ".join(filter(None, [", ".join(labels[:-1]), labels[-1]]))


def specs() -> tuple[type[HttpProvider], ...]:
    """Every provider class, in `kinds()` order."""
    return tuple(spec_for(kind) for kind in kinds())
