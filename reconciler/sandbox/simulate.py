"""iam:SimulatePrincipalPolicy for roles, which moto does not implement.

A preflight asks it whether a function's execution role may send to a
destination. The answer comes from the role's inline and attached policies
as moto holds them, judged by ``iampolicy`` (identity policies only, no
conditions), in IAM's query-protocol XML: one result per action and
resource, never truncated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl
from xml.etree.ElementTree import Element, SubElement

from werkzeug.wrappers import Request, Response

from .errors import ApiError
from .iampolicy import decide
from .protocols import aws_error, xml_response

IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/(?:[^/]+/)*(?P<name>[^/]+)")
_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(user|group|role)/.+")

# A role's policies by role ARN; None when there is no such role.
PolicyLookup = Callable[[str], list[Mapping[str, Any]] | None]


def simulate_principal_policy(request: Request, policies_of: PolicyLookup) -> Response:
    try:
        return _simulate(_parameters(request), policies_of)
    except ApiError as error:
        return aws_error("query", error)


def _simulate(params: Mapping[str, str], policies_of: PolicyLookup) -> Response:
    source = params.get("PolicySourceArn", "")
    actions = _members(params, "ActionNames")
    if not actions:
        raise ApiError("ValidationError", "ActionNames must name at least one action")
    role = _ROLE_ARN.fullmatch(source)
    if role is None:
        raise _not_a_role(source)
    policies = policies_of(source)
    if policies is None:
        message = f"The role with name {role['name']} cannot be found."
        raise ApiError("NoSuchEntity", message, 404)
    resources = _members(params, "ResourceArns") or ["*"]
    pairs = [(action, resource) for action in actions for resource in resources]
    return _answer([(a, r, decide(policies, a, r)) for a, r in pairs])


def _not_a_role(source: str) -> ApiError:
    if _PRINCIPAL_ARN.fullmatch(source):
        return ApiError(
            "InvalidInput",
            f"The sandbox simulates roles only, not {source}.",
        )
    return ApiError("InvalidInput", f"PolicySourceArn {source!r} is not an IAM ARN.")


def _parameters(request: Request) -> dict[str, str]:
    # Query-protocol parameters come in the form body, or in the URL.
    form = dict(parse_qsl(request.get_data(as_text=True)))
    return {**request.args.to_dict(), **form}


def _members(params: Mapping[str, str], name: str) -> list[str]:
    """List parameters come as NAME.member.1, NAME.member.2, ..."""
    prefix = f"{name}.member."
    numbered = [
        (int(key[len(prefix) :]), value)
        for key, value in params.items()
        if key.startswith(prefix) and key[len(prefix) :].isdigit()
    ]
    return [value for _, value in sorted(numbered)]


def _answer(results: list[tuple[str, str, str]]) -> Response:
    root = Element("SimulatePrincipalPolicyResponse", xmlns=IAM_NAMESPACE)
    result = SubElement(root, "SimulatePrincipalPolicyResult")
    listed = SubElement(result, "EvaluationResults")
    for action, resource, decision in results:
        member = SubElement(listed, "member")
        SubElement(member, "EvalActionName").text = action
        SubElement(member, "EvalResourceName").text = resource
        SubElement(member, "EvalDecision").text = decision
        SubElement(member, "MatchedStatements")
        SubElement(member, "MissingContextValues")
    SubElement(result, "IsTruncated").text = "false"
    return xml_response(root)
