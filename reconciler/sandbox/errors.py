"""The errors the sandbox answers with, in Lambda's words."""

from __future__ import annotations

import math
from collections.abc import Mapping


class ApiError(Exception):
    """An AWS error answer: code (x-amzn-ErrorType), HTTP status, message.

    ``fields`` go into the body next to the message, ``headers`` onto the
    answer: a throttling answer carries both (Reason, Retry-After).
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def invalid_parameter(message: str) -> ApiError:
    return ApiError("InvalidParameterValueException", message)


def not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message, 404)


def function_not_found() -> ApiError:
    return not_found("The function doesn't exist.")


def no_config(function_arn: str) -> ApiError:
    return not_found(f"The function {function_arn} doesn't have an EventInvokeConfig")


def validation_error(problems: list[str]) -> ApiError:
    """AWS's front end reports every broken constraint of a request at once."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    detail = "; ".join(problems)
    message = f"{count} validation {noun} detected: {detail}"
    return ApiError("ValidationException", message)


def internal_error(message: str = "Internal error") -> ApiError:
    return ApiError("ServiceException", message, 500)


def throttled(retry_after: float) -> ApiError:
    """Lambda's answer beyond its request-rate quota."""
    return ApiError(
        "TooManyRequestsException",
        "Rate exceeded",
        429,
        fields={"Reason": "CallerRateLimitExceeded"},
        headers={"Retry-After": retry_after_text(retry_after)},
    )


def retry_after_text(seconds: float) -> str:
    # Whole seconds when the wait is that long, else a decimal: a client
    # that honours the header should not wait a second for a 0.1 s refill.
    if seconds >= 1:
        return str(math.ceil(seconds))
    return f"{max(seconds, 0.001):.3f}".rstrip("0").rstrip(".")


class WorldError(Exception):
    """A world document the sandbox cannot load; the message says why."""
