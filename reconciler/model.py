"""Configs as values: identity, settings and their one normal form.

``Settings`` keeps what was declared (or what AWS reported as set): None
means unset. ``Settings.normal()`` is what the function actually does, with
AWS's defaults filled in, so that "unset" and "2 retries" compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.errors import Location

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600
FIELDS = (
    "maximum_retry_attempts",
    "maximum_event_age_in_seconds",
    "on_success",
    "on_failure",
)
# Fields an UpdateFunctionEventInvokeConfig can change without a Put.
UPDATABLE = frozenset(FIELDS[:2])


@dataclass(frozen=True, slots=True, order=True)
class Identity:
    """One async config: a function version or alias in one region."""

    region: str
    account: str
    function: str
    qualifier: str

    def __str__(self) -> str:
        return f"{self.function}:{self.qualifier}"


@dataclass(frozen=True, slots=True)
class Settings:
    """The four settings of an async config; None means not set."""

    maximum_retry_attempts: int | None = None
    maximum_event_age_in_seconds: int | None = None
    on_success: str | None = None
    on_failure: str | None = None

    def normal(self) -> Settings:
        """The settings as the function behaves under them."""
        return Settings(
            _or(self.maximum_retry_attempts, DEFAULT_RETRIES),
            _or(self.maximum_event_age_in_seconds, DEFAULT_MAX_AGE),
            self.on_success or None,
            self.on_failure or None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def declared(self) -> dict[str, Any]:
        """Only the settings that are set."""
        return {k: v for k, v in self.as_dict().items() if v is not None}


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


NORMAL_DEFAULT = Settings().normal()


@dataclass(frozen=True, slots=True)
class Desired:
    """A config declared in a file."""

    identity: Identity
    settings: Settings
    location: Location


@dataclass(frozen=True, slots=True)
class Live:
    """A config as AWS reports it."""

    identity: Identity
    settings: Settings
    last_modified: datetime | None = None


def settings_from_api(response: dict[str, Any]) -> Settings:
    """Settings from an AWS config (Get, List item, Put or Update answer)."""
    destinations = response.get("DestinationConfig") or {}
    return Settings(
        response.get("MaximumRetryAttempts"),
        response.get("MaximumEventAgeInSeconds"),
        (destinations.get("OnSuccess") or {}).get("Destination") or None,
        (destinations.get("OnFailure") or {}).get("Destination") or None,
    )


def settings_to_api(settings: Settings) -> dict[str, Any]:
    """The parameters of a Put or Update carrying exactly ``settings``.

    Empty destination halves are left out rather than sent as ``{}``, and a
    write that would carry nothing sends the default retry count, because AWS
    refuses a write without any setting.
    """
    request: dict[str, Any] = {}
    if settings.maximum_retry_attempts is not None:
        request["MaximumRetryAttempts"] = settings.maximum_retry_attempts
    if settings.maximum_event_age_in_seconds is not None:
        request["MaximumEventAgeInSeconds"] = settings.maximum_event_age_in_seconds
    destinations = {}
    if settings.on_success:
        destinations["OnSuccess"] = {"Destination": settings.on_success}
    if settings.on_failure:
        destinations["OnFailure"] = {"Destination": settings.on_failure}
    if destinations:
        request["DestinationConfig"] = destinations
    if not request:
        request["MaximumRetryAttempts"] = DEFAULT_RETRIES
    return request
