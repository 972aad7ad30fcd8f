"""A thin typed wrapper over the few AWS calls eic makes.

One method per Lambda operation used. "Not found" answers become None or
False rather than exceptions; every other refusal becomes ``AwsCallError``
with AWS's code and message. Every request of a region's client passes one
shared rate limiter, retries included, because AWS counts those too.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlparse

import boto3
import botocore.config
import botocore.exceptions
from botocore.client import BaseClient

from reconciler.errors import AwsCallError, EicError, connection_error

log = logging.getLogger(__name__)

# AWS's shared budget for these calls, per account and region (quotas page).
AWS_REQUESTS_PER_SECOND = 15.0
PAGE_SIZE = 50
# botocore's "standard" retry mode backs off on throttling and 5xx; eight
# attempts keep a run alive through a burst of faults (about 1 in 400,000
# calls still fails at a 20% fault rate, against 1 in 125 with 3 attempts).
MAX_ATTEMPTS = 8
CONFLICT_ATTEMPTS = 8
# AWS answers these for a few minutes after a role, policy or destination
# is created, while IAM propagates; Terraform retries them for two minutes.
PROPAGATION_SECONDS = 120.0
_PROPAGATION_MESSAGES = (
    re.compile(r"The destination ARN .* is invalid"),
    re.compile(r"does not have permissions to call (\w+) on (\S+)"),
)
_SERVICE_PREFIX = {
    "SendMessage": "sqs",
    "Publish": "sns",
    "PutEvents": "events",
    "PutObject": "s3",
    "InvokeFunction": "lambda",
}
T = TypeVar("T")


class RateLimiter:
    """A token bucket shared by every thread talking to one region.

    ``pause`` holds every caller back after a throttling answer that carried
    ``Retry-After``.
    """

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.lock = threading.Lock()
        self.next_slot = 0.0

    def acquire(self, **_: Any) -> None:
        if not self.interval and not self.next_slot:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        if slot > now:
            time.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        with self.lock:
            self.next_slot = max(self.next_slot, time.monotonic() + seconds)


@dataclass(frozen=True)
class Connection:
    """How to reach AWS: endpoint and rate limit, shared by every region."""

    endpoint_url: str | None = None
    rate_limit: float | None = None
    max_workers: int = 16
    propagation_timeout: float = PROPAGATION_SECONDS

    def effective_rate(self, endpoint_url: str) -> float | None:
        """Requests per second: as set, else AWS's quota unless on loopback.

        ``endpoint_url`` is the one the client really uses, wherever it came
        from (flag, AWS_ENDPOINT_URL, a profile).
        """
        if self.rate_limit:
            return self.rate_limit
        return None if is_loopback(endpoint_url) else AWS_REQUESTS_PER_SECOND

    def client(
        self, service: str, region: str | None, attempts: int = MAX_ATTEMPTS
    ) -> BaseClient:
        config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": attempts},
            max_pool_connections=self.max_workers,
            user_agent_extra="eic",
            connect_timeout=10,
            read_timeout=30,
        )
        session = boto3.session.Session()
        try:
            return session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=config,
            )
        except ValueError as err:  # botocore's word for a malformed endpoint
            raise EicError(f"{err}; check --endpoint-url or AWS_ENDPOINT_URL") from err
        except botocore.exceptions.BotoCoreError as err:  # a broken profile
            raise connection_error(err) from err


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def caller_account(connection: Connection, region: str | None) -> str:
    """The account of the credentials in use (one STS call).

    The first call of a run: few attempts, so a wrong endpoint or a network
    that is down fails in seconds, not after the full retry budget.
    """
    sts = connection.client("sts", region or "us-east-1", attempts=3)
    try:
        return str(sts.get_caller_identity()["Account"])
    except botocore.exceptions.ClientError as err:
        raise _refused("asking STS who the caller is", err) from err
    except botocore.exceptions.BotoCoreError as err:
        raise connection_error(err) from err


class LambdaApi:
    """The Lambda calls eic makes, in one region."""

    def __init__(self, connection: Connection, region: str) -> None:
        self.region = region
        self.propagation_timeout = connection.propagation_timeout
        # Set by an interrupted apply: a write then stops retrying.
        self.stop = threading.Event()
        self.client = connection.client("lambda", region)
        self.limiter = RateLimiter(
            connection.effective_rate(self.client.meta.endpoint_url)
        )
        events = self.client.meta.events
        events.register("before-send.lambda", self.limiter.acquire)
        events.register("needs-retry.lambda", self._honour_retry_after)

    def functions(self) -> dict[str, str]:
        """Every function in the region, name -> execution role ARN.

        ListFunctions, 50 a page. The roles come free with the names, and
        preflight needs them.
        """
        paginator = self.client.get_paginator("list_functions")
        pages = paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE})
        return {
            function["FunctionName"]: function.get("Role", "")
            for page in self._guard("listing functions", lambda: list(pages))
            for function in page["Functions"]
        }

    def configs_of(self, function: str) -> list[dict[str, Any]] | None:
        """Every async config of ``function``; None if it does not exist."""
        configs: list[dict[str, Any]] = []
        marker = None
        while True:
            kwargs = {"FunctionName": function, "MaxItems": PAGE_SIZE}
            if marker:
                kwargs["Marker"] = marker
            page = self._call(
                f"reading the async configs of {function}",
                partial(self.client.list_function_event_invoke_configs, **kwargs),
            )
            if page is None:
                return None
            configs.extend(page.get("FunctionEventInvokeConfigs", []))
            marker = page.get("NextMarker")
            if not marker:
                return configs

    def put(self, function: str, qualifier: str, request: dict) -> dict:
        return self._write(
            f"putting the async config of {function}:{qualifier}",
            lambda: self.client.put_function_event_invoke_config(
                FunctionName=function, Qualifier=qualifier, **request
            ),
        )

    def update(self, function: str, qualifier: str, request: dict) -> dict:
        return self._write(
            f"updating the async config of {function}:{qualifier}",
            lambda: self.client.update_function_event_invoke_config(
                FunctionName=function, Qualifier=qualifier, **request
            ),
        )

    def delete(self, function: str, qualifier: str) -> bool:
        """Delete one config; False when it was already gone."""
        result = self._write(
            f"deleting the async config of {function}:{qualifier}",
            lambda: self.client.delete_function_event_invoke_config(
                FunctionName=function, Qualifier=qualifier
            ),
            missing_ok=True,
        )
        return result is not None

    def _write(
        self, what: str, call: Callable[[], T], missing_ok: bool = False
    ) -> T:
        """One write, retried where the error says a retry can succeed.

        409 ResourceConflictException: another writer holds the function;
        botocore does not retry it, so back off here (eic itself never
        writes one function from two threads). The IAM-propagation answers:
        retried until ``propagation_timeout``, as Terraform does.
        """
        conflicts = 0
        deadline = time.monotonic() + self.propagation_timeout
        delay = 0.2
        while True:
            try:
                return self._guard(what, call, missing_ok=missing_ok)
            except AwsCallError as err:
                if err.code == "ResourceConflictException":
                    conflicts += 1
                    if conflicts >= CONFLICT_ATTEMPTS:
                        raise
                elif not _propagating(err) or time.monotonic() >= deadline:
                    raise _with_permission_hint(err) from err
                if self.stop.is_set():
                    raise  # a retry is a new call, and none may start now
                delay = min(delay * 2, 5.0)
                log.debug("%s: %s, retrying in %.1fs", what, err.code, delay)
                time.sleep(delay)

    def _call(self, what: str, call: Callable[[], T]) -> T | None:
        return self._guard(what, call, missing_ok=True)

    def _guard(self, what: str, call: Callable[[], T], missing_ok: bool = False):
        try:
            return call()
        except botocore.exceptions.ClientError as err:
            if missing_ok and _code(err) == "ResourceNotFoundException":
                return None
            raise _refused(what, err) from err
        except botocore.exceptions.BotoCoreError as err:
            raise connection_error(err) from err

    def _honour_retry_after(self, response: Any = None, **_: Any) -> None:
        if not response:
            return None
        http = response[0]
        if http is None or http.status_code != 429:
            return None
        retry_after = http.headers.get("Retry-After")
        try:
            seconds = float(retry_after) if retry_after else 0.0
        except ValueError:
            seconds = 0.0
        if seconds > 0:
            self.limiter.pause(min(seconds, 60.0))
        return None


def _propagating(err: AwsCallError) -> bool:
    return err.code == "InvalidParameterValueException" and any(
        pattern.search(err.aws_message) for pattern in _PROPAGATION_MESSAGES
    )


def _with_permission_hint(err: AwsCallError) -> AwsCallError:
    """Name the permission the execution role lacks, when AWS said which."""
    match = _PROPAGATION_MESSAGES[1].search(err.aws_message)
    if not match:
        return err
    action, resource = match.group(1), match.group(2).rstrip(".")
    permission = f"{_SERVICE_PREFIX.get(action, '?')}:{action}"
    hint = (
        f"the function's execution role lacks {permission} on {resource}; "
        "grant it in the role's policy"
    )
    return AwsCallError(err.what, err.code, err.aws_message, hint)


def _code(err: botocore.exceptions.ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", "Unknown"))


_HINTS = {
    "AccessDeniedException": "check the IAM policy of the role eic runs as "
    "(`eic iam-policy DIR` prints the one it needs)",
    "ResourceNotFoundException": "check that the function, version or alias "
    "exists in this region",
    "InvalidParameterValueException": "check the destination ARN and that the "
    "function's execution role may send to it",
    "TooManyRequestsException": "lower --rate-limit, or run again later",
}


def _refused(what: str, err: botocore.exceptions.ClientError) -> AwsCallError:
    code = _code(err)
    message = str(err.response.get("Error", {}).get("Message", err))
    return AwsCallError(what, code, message, _HINTS.get(code, ""))
