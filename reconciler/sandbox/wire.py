"""Building HTTP answers the way Lambda's REST-JSON protocol shapes them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Response

from .errors import ApiError


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    response = Response(body, status=status, content_type="application/json")
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def empty_response(status: int = 204) -> Response:
    response = Response(b"", status=status)
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def error_response(error: ApiError) -> Response:
    # botocore's rest-json parser takes the code from x-amzn-ErrorType and the
    # message from the body's "message" key; "Type" is what Lambda adds.
    fault = "User" if error.status < 500 else "Service"
    body = {"Type": fault, "message": error.message, **error.fields}
    response = json_response(body, error.status)
    response.headers["x-amzn-ErrorType"] = error.code
    response.headers.update(error.headers)
    return response


def admin_error(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)
