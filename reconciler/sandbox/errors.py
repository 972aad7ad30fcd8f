"""The errors the sandbox answers with, in Lambda's words."""

from __future__ import annotations


class ApiError(Exception):
    """An AWS error answer: code (x-amzn-ErrorType), HTTP status, message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


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


class WorldError(Exception):
    """A world document the sandbox cannot load; the message says why."""
