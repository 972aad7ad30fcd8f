"""Error answers in the protocol of the service asked, so botocore parses them.

Lambda speaks REST-JSON (``wire``); SQS and EventBridge speak JSON; IAM,
STS and SNS the query protocol (XML); S3 REST-XML; EC2 its own XML. A
refusal the sandbox makes for any of them (a throttle, an injected fault,
a bug of its own) must be one the client can read, never an HTML page.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from xml.etree.ElementTree import Element, SubElement, tostring

import botocore.session
from botocore.exceptions import UnknownServiceError
from werkzeug.wrappers import Request, Response

from .errors import ApiError
from .wire import error_response

_XML = "text/xml"


def protocol_of(request: Request, service: str | None) -> str:
    """botocore's protocol name for the service a request is addressed to."""
    if request.headers.get("X-Amz-Target"):
        return "json"
    known = _model_protocol(service) if service else None
    if known:
        return known
    return "query" if "Action" in request.args else "rest-json"


@cache
def _model_protocol(service: str) -> str | None:
    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return None
    return str(model.metadata.get("protocol"))


def aws_error(protocol: str, error: ApiError) -> Response:
    if protocol == "rest-json":
        return error_response(error)
    if protocol == "json":
        response = _json_error(error)
    elif protocol == "rest-xml":
        response = _xml(_fields(Element("Error"), error), error.status)
    elif protocol == "ec2":
        response = _xml(_ec2_error(error), error.status)
    else:
        response = _xml(_query_error(error), error.status)
    response.headers.update(error.headers)
    return response


def xml_response(root: Element, status: int = 200) -> Response:
    """A query-protocol answer: the result, then ResponseMetadata."""
    metadata = SubElement(root, "ResponseMetadata")
    SubElement(metadata, "RequestId").text = str(uuid.uuid4())
    return _xml(root, status)


def _json_error(error: ApiError) -> Response:
    body = {"__type": error.code, "message": error.message, **error.fields}
    response = Response(json.dumps(body), status=error.status)
    response.content_type = "application/x-amz-json-1.0"
    response.headers["x-amzn-ErrorType"] = error.code
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def _query_error(error: ApiError) -> Element:
    root = Element("ErrorResponse")
    detail = _fields(SubElement(root, "Error"), error)
    side = "Sender" if error.status < 500 else "Receiver"
    detail.insert(0, _text("Type", side))
    SubElement(root, "RequestId").text = str(uuid.uuid4())
    return root


def _ec2_error(error: ApiError) -> Element:
    root = Element("Response")
    _fields(SubElement(SubElement(root, "Errors"), "Error"), error)
    SubElement(root, "RequestID").text = str(uuid.uuid4())
    return root


def _fields(parent: Element, error: ApiError) -> Element:
    parent.append(_text("Code", error.code))
    parent.append(_text("Message", error.message))
    for name, value in error.fields.items():
        parent.append(_text(name, value))
    return parent


def _text(tag: str, text: str) -> Element:
    element = Element(tag)
    element.text = text
    return element


def _xml(root: Element, status: int) -> Response:
    body = tostring(root, encoding="unicode", xml_declaration=False)
    response = Response(body, status=status, content_type=_XML)
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response
