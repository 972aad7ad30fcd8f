"""Issue 6: preflight warnings for what a plan writes, and several regions."""

from __future__ import annotations

import json

import pytest
from fixtures_cli import write_tree

ACCOUNT = "111122223333"
EU, US = "eu-west-1", "us-east-1"


def arn(service: str, resource: str, region: str = EU) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


QUEUE = arn("sqs", "q-ok")
TOPIC = arn("sns", "t-ok")
BUS = arn("events", "event-bus/bus-ok")
HANDLER = arn("lambda", "function:handler")
BUCKET = "arn:aws:s3:::bucket-ok"
PREFLIGHT_OPS = {
    "GetFunctionConfiguration", "GetAlias", "SimulatePrincipalPolicy", "GetQueueUrl",
    "GetTopicAttributes", "DescribeEventBus", "HeadBucket",
}


def preflight_world() -> dict:
    allow_all = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["sqs:SendMessage", "sns:Publish", "events:PutEvents",
                   "lambda:InvokeFunction", "s3:PutObject", "s3:ListBucket"],
        "Resource": "*",
    }]}
    only_queue = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE}
    ]}
    return {
        "account": ACCOUNT,
        "region": EU,
        "roles": [
            {"name": "broad", "policies": [allow_all]},
            {"name": "narrow", "policies": [only_queue]},
        ],
        "functions": [
            {"name": "fn-ok", "role": "broad", "versions": 1, "aliases": {"live": "1"}},
            {"name": "fn-narrow", "role": "narrow"},
            {"name": "handler", "role": "broad"},
        ],
        "queues": ["q-ok"],
        "topics": ["t-ok"],
        "buses": ["bus-ok"],
        "buckets": ["bucket-ok"],
    }


def config_dir(tmp_path, entries: str, eic_yaml: str = "regions: [eu-west-1]\n") -> str:
    files = {"eic.yaml": eic_yaml, "c.yaml": "configs:\n" + entries}
    return str(write_tree(tmp_path / "configs", files))


def entry(function: str, failure: str, success: str | None = None, qualifier: str = "$LATEST") -> str:
    text = (
        f"  - function_name: {function}\n    qualifier: '{qualifier}'\n"
        f"    destination_config:\n      on_failure: {{destination: '{failure}'}}\n"
    )
    if success:
        text += f"      on_success: {{destination: '{success}'}}\n"
    return text


def test_good_destinations_and_roles_raise_no_warning(eic, world, tmp_path):
    world.load_world(preflight_world())
    directory = config_dir(
        tmp_path,
        entry("fn-ok", QUEUE, TOPIC) + entry("fn-ok", BUCKET, BUS, "live")
        + entry("fn-ok", HANDLER, qualifier="1"),
    )
    result = eic("plan", directory, "--strict")
    assert result.code == 0, result.text
    assert "Warning" not in result.out


@pytest.mark.parametrize(
    "destination, says",
    [
        (arn("sqs", "q-missing"), "does not exist"),
        (arn("sns", "t-missing"), "does not exist"),
        (arn("events", "event-bus/bus-missing"), "does not exist"),
        (arn("lambda", "function:nobody"), "does not exist"),
        ("arn:aws:s3:::bucket-missing", "does not exist"),
    ],
)
def test_each_kind_of_missing_destination_is_a_warning(eic, world, tmp_path, destination, says):
    world.load_world(preflight_world())
    directory = config_dir(tmp_path, entry("fn-ok", destination))
    result = eic("plan", directory)
    assert result.code == 0
    assert f"Warning: {tmp_path}" in result.out and destination in result.out and says in result.out
    strict = eic("plan", directory, "--strict")
    assert strict.code == 1


def test_role_that_may_not_send_is_a_warning_naming_the_permission(eic, world, tmp_path):
    world.load_world(preflight_world())
    directory = config_dir(tmp_path, entry("fn-narrow", QUEUE, TOPIC))
    result = eic("plan", directory, "--output", "json")
    warnings = json.loads(result.out)["warnings"]
    assert len(warnings) == 1
    assert "sns:Publish" in warnings[0]["message"] and TOPIC in warnings[0]["message"]
    assert warnings[0]["identity"]["function_name"] == "fn-narrow"
    assert warnings[0]["source"].endswith("c.yaml:2:5")


def test_missing_alias_of_a_new_config_is_a_warning(eic, world, tmp_path):
    world.load_world(preflight_world())
    directory = config_dir(tmp_path, entry("fn-ok", QUEUE, qualifier="gamma"))
    result = eic("plan", directory)
    assert "alias `gamma` of fn-ok does not exist" in result.out


def test_preflight_checks_only_what_the_plan_writes(eic, world, tmp_path):
    world_doc = preflight_world()
    world_doc["event_invoke_configs"] = [{
        "function_name": "fn-ok",
        "destination_config": {"on_failure": {"destination": QUEUE}},
    }]
    world.load_world(world_doc)
    directory = config_dir(tmp_path, entry("fn-ok", QUEUE))
    world.reset_calls()
    eic("plan", directory)
    assert not PREFLIGHT_OPS & set(world.calls())  # no change, no preflight
    changed = config_dir(tmp_path, entry("fn-ok", QUEUE, TOPIC))
    world.reset_calls()
    eic("plan", changed, "--no-preflight")
    assert not PREFLIGHT_OPS & set(world.calls())
    eic("plan", changed)
    assert PREFLIGHT_OPS & set(world.calls())


def test_several_regions_are_one_view_grouped_by_region(eic, world, tmp_path):
    doc = preflight_world()
    doc["functions"].append({"name": "fn-ok", "region": US, "role": "broad"})
    doc["queues"].append({"name": "q-ok", "region": US})
    world.load_world(doc)
    us_queue = arn("sqs", "q-ok", US)
    entries = entry("fn-ok", QUEUE) + (
        f"  - function_name: fn-ok\n    region: {US}\n"
        f"    destination_config: {{on_failure: {{destination: '{us_queue}'}}}}\n"
    )
    directory = config_dir(tmp_path, entries, "regions: [eu-west-1, us-east-1]\n")
    text = eic("plan", directory).out
    assert text.index("eu-west-1:") < text.index("+ fn-ok:$LATEST") < text.index("us-east-1:")
    changes = json.loads(eic("plan", directory, "--output", "json").out)["changes"]
    assert [c["identity"]["region"] for c in changes] == [EU, US]
    markdown = eic("plan", directory, "--output", "markdown").out
    assert f"| {EU} |" in markdown and f"| {US} |" in markdown
    assert eic("apply", directory, "--auto-approve").code == 0
    assert "No changes." in eic("plan", directory).out


def test_a_caller_that_may_not_simulate_gets_could_not_check():
    """Pure unit: IAM answers AccessDenied; preflight says so, plainly."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from botocore.stub import Stubber

    from reconciler.aws import Connection
    from reconciler.preflight import Preflight

    iam = boto3.session.Session().client(
        "iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stub = Stubber(iam)
    stub.add_client_error(
        "simulate_principal_policy", "AccessDenied", "not authorized to simulate"
    )
    with stub, ThreadPoolExecutor(1) as pool:
        check = Preflight(Connection(), {}, pool)
        check.client = lambda service, region: iam
        message = check.denied("arn:aws:iam::111122223333:role/r", "sqs:SendMessage", QUEUE)
    assert message.startswith("could not check the permissions of")
    assert "AccessDenied" in message and "may still succeed" in message


def test_declared_configs_outside_the_scope_are_still_written(eic, world, tmp_path):
    world.load_world(preflight_world())
    directory = config_dir(
        tmp_path, entry("fn-ok", QUEUE), "regions: [eu-west-1]\nscope: [nothing-*]\n"
    )
    assert eic("apply", directory, "--auto-approve").code == 0
    assert "No changes." in eic("plan", directory).out
    live = world.client("lambda").get_function_event_invoke_config(FunctionName="fn-ok")
    assert live["DestinationConfig"]["OnFailure"] == {"Destination": QUEUE}


def test_least_privilege_s3_role_is_not_a_warning(eic, world, tmp_path):
    doc = preflight_world()
    doc["roles"].append({"name": "s3-only", "policies": [{
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": BUCKET + "/*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET},
        ],
    }]})
    doc["functions"].append({"name": "fn-s3", "role": "s3-only"})
    world.load_world(doc)
    directory = config_dir(tmp_path, entry("fn-s3", BUCKET))
    result = eic("plan", directory, "--strict")
    assert result.code == 0, result.text
