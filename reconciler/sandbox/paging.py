"""Paging for Lambda's list operations, which moto answers in one page.

Lambda returns at most 50 functions per ListFunctions page and 50 versions
per ListVersionsByFunction page, whatever MaxItems asks (doc); a reader that
ignores NextMarker misses the rest. The sandbox pages moto's full answer so
that readers are tested on that, and call counts come out as against AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from .errors import ApiError, invalid_parameter, validation_error
from .names import range_problems, value_problem
from .wire import error_response, json_response

MAX_ITEMS_LIMIT = 10000  # botocore's MaxItems maximum for these operations


@dataclass(frozen=True)
class Listing:
    key: str  # the list in the response body
    page_cap: int | None  # most items one page ever holds


LISTINGS = {
    "ListFunctions": Listing("Functions", 50),
    "ListVersionsByFunction": Listing("Versions", 50),
    "ListAliases": Listing("Aliases", None),
}


def page(operation: str, request: Request, response: Response) -> Response:
    """One page of moto's complete answer, with NextMarker when more remain."""
    listing = LISTINGS.get(operation)
    if listing is None or response.status_code != 200:
        return response
    try:
        size = _page_size(request.args.get("MaxItems"), listing.page_cap)
        start = _decode(request.args.get("Marker"))
    except ApiError as error:
        return error_response(error)
    body = json.loads(response.get_data())
    items = body.get(listing.key, [])
    body[listing.key] = items[start : start + size]
    body.pop("NextMarker", None)
    if start + size < len(items):
        body["NextMarker"] = _encode(start + size)
    return json_response(body)


def _page_size(text: str | None, cap: int | None) -> int:
    largest = cap or MAX_ITEMS_LIMIT
    if text is None:
        return largest
    if not text.isdigit():
        rule = "Member must be an integer"
        raise validation_error([value_problem(text, "maxItems", rule)])
    asked = int(text)
    problems = range_problems(asked, "maxItems", (1, MAX_ITEMS_LIMIT))
    if problems:
        raise validation_error(problems)
    return min(asked, largest)


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(f"position:{position}".encode()).decode()


def _decode(marker: str | None) -> int:
    if not marker:
        return 0
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
        label, _, number = text.partition(":")
        if label == "position" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise invalid_parameter("The marker is invalid.")
