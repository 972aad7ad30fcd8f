"""Spellings Lambda accepts for functions and destinations, parsed strictly.

A function may be named four ways (name, name:qualifier, partial ARN, full
ARN); all of them name the same config when they agree. Destinations must be
ARNs of the five services Lambda can send invocation records to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LATEST = "$LATEST"

_NAME = r"[a-zA-Z0-9_-]{1,64}"
_QUALIFIER = r"(?:\$LATEST|[a-zA-Z0-9_-]{1,128})"
_FUNCTION_RE = re.compile(
    rf"^(?:(?:arn:(?P<partition>aws[a-z-]*):lambda:(?P<region>[a-z0-9-]+):)?"
    rf"(?P<account>\d{{12}}):function:)?(?P<name>{_NAME})"
    rf"(?::(?P<qualifier>{_QUALIFIER}))?$"
)
_QUALIFIER_RE = re.compile(rf"^{_QUALIFIER}$")
_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):"
    r"(?P<region>[a-z0-9-]*):(?P<account>\d{12})?:(?P<resource>.+)$"
)
_QUEUE_URL_RE = re.compile(
    r"^https?://sqs\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<account>\d{12})/(?P<name>[A-Za-z0-9_.-]+)/?$"
)
_RESOURCE_RE = {
    "sqs": re.compile(r"^[A-Za-z0-9_-]{1,80}(\.fifo)?$"),
    "sns": re.compile(r"^[A-Za-z0-9_-]{1,256}(\.fifo)?$"),
    "lambda": re.compile(rf"^function:{_NAME}(:{_QUALIFIER})?$"),
    "events": re.compile(r"^event-bus/[A-Za-z0-9._/-]{1,256}$"),
    "s3": re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
}
DESTINATION_SERVICES = tuple(_RESOURCE_RE)


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """What a ``function_name`` spelling says; parts it leaves out are None."""

    name: str
    qualifier: str | None = None
    region: str | None = None
    account: str | None = None


def parse_function(spelling: str) -> FunctionRef | None:
    """Parse any function spelling Lambda accepts; None if it is none of them."""
    match = _FUNCTION_RE.match(spelling)
    if match is None:
        return None
    return FunctionRef(
        name=match["name"],
        qualifier=match["qualifier"],
        region=match["region"],
        account=match["account"],
    )


def function_arn(region: str, account: str, name: str, qualifier: str = "") -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def valid_qualifier(qualifier: str) -> bool:
    return bool(_QUALIFIER_RE.match(qualifier))


@dataclass(frozen=True, slots=True)
class DestinationArn:
    service: str
    region: str
    account: str
    resource: str


def parse_destination(value: str) -> DestinationArn | str:
    """Parse a destination ARN, or return why it cannot be one."""
    match = _ARN_RE.match(value)
    if match is None:
        return _not_an_arn(value)
    service = match["service"]
    if service not in _RESOURCE_RE:
        return (
            f"Lambda cannot send invocation records to `{service}`; use an SQS "
            "queue, SNS topic, Lambda function, EventBridge bus or S3 bucket ARN"
        )
    if not _RESOURCE_RE[service].match(match["resource"]):
        return f"`{value}` is not a well-formed {service} ARN"
    return DestinationArn(
        service, match["region"], match["account"] or "", match["resource"]
    )


def _not_an_arn(value: str) -> str:
    url = _QUEUE_URL_RE.match(value)
    if url is not None:
        arn = f"arn:aws:sqs:{url['region']}:{url['account']}:{url['name']}"
        return f"a destination must be an ARN, not a queue URL; use `{arn}`"
    return f"`{value}` is not an ARN; a destination must be an ARN (arn:aws:...)"
