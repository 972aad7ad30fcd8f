"""Issue 3 end to end: saved plans, delete guards, machine output, CI hooks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from fixtures_cli import write_tree

from reconciler import planfile

ACCOUNT = "111122223333"
REPO = Path(__file__).resolve().parents[1]
Q = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q-fail"
WRITES = (
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
)


def world_of(functions=("orders-a", "orders-b", "orders-c"), configs=()) -> dict:
    return {
        "account": ACCOUNT,
        "region": "eu-west-1",
        "functions": [{"name": n, "versions": 1, "aliases": {"live": "1"}} for n in functions],
        "queues": ["q-fail"],
        "event_invoke_configs": list(configs),
    }


def entry(name: str, retries: int, qualifier: str = "$LATEST") -> str:
    return (
        f"  - function_name: {name}\n    qualifier: '{qualifier}'\n"
        f"    maximum_retry_attempts: {retries}\n"
    )


@pytest.fixture
def configs(tmp_path: Path):
    def make(*entries: str, eic_yaml: str = "scope: ['orders-*']\n") -> Path:
        files = {"eic.yaml": eic_yaml}
        if entries:
            files["orders.yaml"] = "configs:\n" + "".join(entries)
        return write_tree(tmp_path / "configs", files)

    return make


def writes(world) -> int:
    return sum(n for op, n in world.calls().items() if op in WRITES)


def saved_plan(eic, directory: Path, tmp_path: Path, **env: str) -> str:
    path = str(tmp_path / "eic.plan")
    result = eic("plan", str(directory), "--out", path, **env)
    assert result.code == 0, result.text
    return path


# --- saved plans --------------------------------------------------------------


def test_saved_plan_applies_exactly_and_asks_nothing(eic, world, configs, tmp_path):
    world.load_world(world_of(configs=[{"function_name": "orders-c", "maximum_retry_attempts": 0}]))
    directory = configs(entry("orders-a", 1), entry("orders-b", 0, "live"))
    path = saved_plan(eic, directory, tmp_path)
    world.reset_calls()
    result = eic("apply", path)  # no terminal, no --auto-approve: still applies
    assert result.code == 0, result.text
    calls = world.calls()
    assert {op: calls[op] for op in WRITES if op in calls} == {
        "PutFunctionEventInvokeConfig": 2,
        "DeleteFunctionEventInvokeConfig": 1,
    }
    assert "Apply complete: 2 created, 0 updated, 1 deleted." in result.out
    assert "No changes." in eic("plan", str(directory)).out


def test_plan_applied_once_is_spent(eic, world, configs, tmp_path):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1))
    path = saved_plan(eic, directory, tmp_path)
    assert eic("apply", path).code == 0
    world.reset_calls()
    again = eic("apply", path)
    assert again.code == 1 and "spent" in again.err
    assert writes(world) == 0


def test_plan_made_stale_by_another_client_is_refused(eic, world, configs, tmp_path):
    world.load_world(world_of(configs=[{"function_name": "orders-a", "maximum_retry_attempts": 0}]))
    directory = configs(entry("orders-a", 1), entry("orders-b", 1))
    path = saved_plan(eic, directory, tmp_path)
    lam = world.client("lambda")
    lam.put_function_event_invoke_config(FunctionName="orders-a", MaximumRetryAttempts=0)
    world.reset_calls()
    result = eic("apply", path)
    assert result.code == 1
    assert "orders-a:$LATEST" in result.err and "nothing was changed" in result.err
    assert writes(world) == 0
    assert lam.list_function_event_invoke_configs(FunctionName="orders-b")[
        "FunctionEventInvokeConfigs"
    ] == []


def test_plan_is_refused_when_the_declared_configs_changed(eic, world, configs, tmp_path):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1))
    path = saved_plan(eic, directory, tmp_path)
    (directory / "orders.yaml").write_text("configs:\n" + entry("orders-a", 0))
    world.reset_calls()
    result = eic("apply", path)
    assert result.code == 1 and "changed since the plan was made" in result.err
    assert writes(world) == 0


def test_layout_and_comments_do_not_stale_a_plan(eic, world, configs, tmp_path):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1))
    path = saved_plan(eic, directory, tmp_path)
    (directory / "orders.yaml").write_text(
        "# reformatted\nconfigs:\n  - {function_name: orders-a, maximum_retry_attempts: 1}\n"
    )
    assert eic("apply", path).code == 0


def test_plan_is_refused_when_the_regions_differ(eic, world, configs, tmp_path):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1), eic_yaml="regions: [eu-west-1]\n")
    path = saved_plan(eic, directory, tmp_path)
    (directory / "eic.yaml").write_text("regions: [eu-west-1, us-east-1]\n")
    world.reset_calls()
    result = eic("apply", path)
    assert result.code == 1 and "regions" in result.err
    assert writes(world) == 0


def test_plan_for_another_account_is_refused(eic, world, configs, tmp_path):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1))
    path = saved_plan(eic, directory, tmp_path, EIC_PLAN_KEY="k")
    document = json.loads(Path(path).read_text())
    document["body"]["account"] = "999999999999"
    # A holder of the key can sign anything: what stops this plan is the account.
    eic.monkeypatch.setenv("EIC_PLAN_KEY", "k")
    document["signature"] = planfile._sign(document["body"])
    Path(path).write_text(json.dumps(document))
    world.reset_calls()
    result = eic("apply", path, EIC_PLAN_KEY="k")
    assert result.code == 1 and "account 999999999999" in result.err
    assert writes(world) == 0


def test_hand_edited_plan_is_refused(eic, world, configs, tmp_path):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1))
    path = saved_plan(eic, directory, tmp_path)
    text = Path(path).read_text().replace('"MaximumRetryAttempts": 1', '"MaximumRetryAttempts": 0')
    Path(path).write_text(text)
    world.reset_calls()
    result = eic("apply", path)
    assert result.code == 1 and "does not match its sha256" in result.err
    assert world.calls() == {}


@pytest.mark.parametrize(
    "made_with, applied_with, refused",
    [("k1", "k1", None), ("k1", "k2", "signed with another key"),
     ("k1", "", "needs EIC_PLAN_KEY"), ("", "k1", "was not signed with EIC_PLAN_KEY")],
)
def test_plan_key_makes_plans_that_only_key_holders_apply(
    eic, world, configs, tmp_path, made_with, applied_with, refused
):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1))
    path = saved_plan(eic, directory, tmp_path, EIC_PLAN_KEY=made_with)
    world.reset_calls()
    result = eic("apply", path, EIC_PLAN_KEY=applied_with)
    if refused is None:
        assert result.code == 0, result.text
    else:
        assert result.code == 1 and refused in result.err
        assert writes(world) == 0


# --- delete safety --------------------------------------------------------------


def test_emptied_directory_deletes_nothing_without_allow_empty(eic, world, configs):
    live = [{"function_name": n, "maximum_retry_attempts": 0} for n in ("orders-a", "orders-b")]
    world.load_world(world_of(configs=live))
    directory = str(configs())
    for command in (("plan", directory), ("apply", directory, "--auto-approve")):
        result = eic(*command)
        assert result.code == 1 and "--allow-empty" in result.err
    assert writes(world) == 0
    plan = eic("plan", directory, "--allow-empty")
    assert "Plan: 0 to create, 0 to update, 2 to delete." in plan.out


def test_max_deletes_stops_before_any_write(eic, world, configs):
    live = [{"function_name": n, "maximum_retry_attempts": 0} for n in ("orders-b", "orders-c")]
    world.load_world(world_of(configs=live))
    directory = str(configs(entry("orders-a", 1)))
    world.reset_calls()
    refused = eic("apply", directory, "--auto-approve", "--max-deletes", "1")
    assert refused.code == 1 and "more than --max-deletes 1" in refused.err
    assert writes(world) == 0
    allowed = eic("apply", directory, "--auto-approve", "--max-deletes", "2")
    assert allowed.code == 0 and writes(world) == 3


def test_protected_config_is_spared_and_listed(eic, world, configs):
    live = [
        {"function_name": "orders-b", "maximum_retry_attempts": 0},
        {"function_name": "orders-b", "qualifier": "live", "maximum_retry_attempts": 0},
    ]
    world.load_world(world_of(configs=live))
    directory = str(
        configs(entry("orders-a", 1), eic_yaml="scope: ['orders-*']\nprotect: ['orders-b:live']\n")
    )
    plan = eic("plan", directory)
    assert "Spared by protect `orders-b:live`: orders-b:live" in plan.out
    assert "- orders-b:$LATEST  Delete (owned by scope `orders-*`, not declared)" in plan.out
    assert eic("apply", directory, "--auto-approve").code == 0
    left = world.client("lambda").list_function_event_invoke_configs(FunctionName="orders-b")
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in left["FunctionEventInvokeConfigs"]] == ["live"]


# --- output for machines and reviewers ------------------------------------------


def test_json_plan_validates_against_its_schema(eic, world, configs):
    world.load_world(world_of(configs=[
        {"function_name": "orders-b", "maximum_retry_attempts": 0},
        {"function_name": "orders-c", "maximum_retry_attempts": 0},
    ]))
    directory = str(configs(
        entry("orders-a", 1),
        "  - function_name: orders-b\n    maximum_retry_attempts: 1\n"
        f"    destination_config: {{on_failure: {{destination: '{Q}'}}}}\n",
    ))
    result = eic("plan", directory, "--output", "json", "--no-preflight")
    document = json.loads(result.out)
    schema = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["summary"] == {
        "create": 1, "update": 1, "delete": 1, "unchanged": 0, "errors": 0, "warnings": 0
    }
    calls = [(c["identity"]["function_name"], c["action"], c["api_call"]) for c in document["changes"]]
    assert calls == [
        ("orders-a", "create", "PutFunctionEventInvokeConfig"),
        ("orders-b", "update", "PutFunctionEventInvokeConfig"),
        ("orders-c", "delete", "DeleteFunctionEventInvokeConfig"),
    ]


def test_markdown_plan_is_cut_at_the_limit_with_a_note(eic, world, configs):
    names = [f"orders-{'x' * 40}-{i:03d}" for i in range(260)]
    world.load_world(world_of(functions=names))
    long = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{'q' * 70}"
    body = "".join(
        f"  - function_name: {n}\n    maximum_retry_attempts: 0\n    maximum_event_age_in_seconds: 61\n"
        f"    destination_config: {{on_failure: {{destination: '{long}'}}, on_success: {{destination: '{long}'}}}}\n"
        for n in names
    )
    directory = configs(body)
    result = eic("plan", str(directory), "--output", "markdown", "--no-preflight")
    assert result.code == 0, result.err
    assert len(result.out.encode()) < 60 * 1024
    assert re.search(r"Cut to fit:\*\* \d+ of 260 changes shown", result.out)


def test_github_actions_gets_annotations_and_a_job_summary(eic, world, configs, tmp_path):
    world.load_world(world_of())
    bad = configs("  - function_name: orders-a\n    maximum_retry_attempts: 7\n")
    result = eic("validate", str(bad), GITHUB_ACTIONS="true")
    assert result.code == 1
    assert re.search(r"^::error file=.*orders\.yaml,line=3,col=29::.*from 0 to 2", result.out, re.M)
    good = configs(entry("orders-a", 1))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    eic("plan", str(good), GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "### eic plan: Plan: 1 to create" in text


def test_no_colour_off_a_terminal(eic, world, configs):
    world.load_world(world_of())
    result = eic("plan", str(configs(entry("orders-a", 1))))
    assert "\033[" not in result.out


# --- account guard ---------------------------------------------------------------


def test_account_guard_refuses_other_accounts(eic, world, configs):
    world.load_world(world_of())
    directory = str(configs(entry("orders-a", 1), eic_yaml='account: "999999999999"\n'))
    world.reset_calls()
    for command in (("plan", directory), ("apply", directory, "--auto-approve")):
        result = eic(*command)
        assert result.code == 1
        assert "credentials are for account 111122223333" in result.err
    assert set(world.calls()) == {"GetCallerIdentity"}


def test_iam_policy_covers_declared_and_owned_functions(eic, configs):
    directory = str(configs(entry("billing-x", 1), eic_yaml='account: "111122223333"\nregions: [eu-west-1]\nscope: [orders-*]\n'))
    result = eic("iam-policy", directory, "--mode", "plan")
    statements = {s["Sid"]: s for s in json.loads(result.out)["Statement"]}
    assert statements["ExpandScopePatterns"]["Resource"] == "*"
    assert statements["ReadAsyncConfigs"]["Resource"] == [
        "arn:aws:lambda:eu-west-1:111122223333:function:billing-x",
        "arn:aws:lambda:eu-west-1:111122223333:function:billing-x:*",
        "arn:aws:lambda:eu-west-1:111122223333:function:orders-*",
        "arn:aws:lambda:eu-west-1:111122223333:function:orders-*:*",
    ]
    assert "WriteAsyncConfigs" not in statements
    applied = json.loads(eic("iam-policy", directory).out)
    assert any(s["Sid"] == "WriteAsyncConfigs" for s in applied["Statement"])


@pytest.mark.parametrize("no_color", [False, True])
def test_colour_on_a_terminal_unless_no_color(world, configs, no_color):
    import os
    import pty
    import subprocess
    import sys

    world.load_world(world_of())
    directory = str(configs(entry("orders-a", 1)))
    env = {**os.environ, **world.env}
    env.pop("NO_COLOR", None)
    if no_color:
        env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", directory, "--no-preflight"],
        env=env, stdout=follower, stderr=subprocess.DEVNULL, timeout=120,
    )
    os.close(follower)
    out = os.read(leader, 65536).decode()
    os.close(leader)
    assert "Plan: 1 to create" in out
    assert ("\033[32m+\033[0m" in out) is not no_color


def test_plan_is_refused_when_protect_changed(eic, world, configs, tmp_path):
    world.load_world(world_of(configs=[{"function_name": "orders-b", "maximum_retry_attempts": 0}]))
    directory = configs(entry("orders-a", 1))
    path = saved_plan(eic, directory, tmp_path)
    (directory / "eic.yaml").write_text("scope: ['orders-*']\nprotect: [orders-b]\n")
    world.reset_calls()
    result = eic("apply", path)
    assert result.code == 1 and "changed since the plan was made" in result.err
    assert writes(world) == 0


def test_key_holder_cannot_sign_a_request_git_does_not_say(eic, world, configs, tmp_path):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1))
    path = saved_plan(eic, directory, tmp_path, EIC_PLAN_KEY="k")
    document = json.loads(Path(path).read_text())
    document["body"]["changes"][0]["request"]["MaximumRetryAttempts"] = 0
    eic.monkeypatch.setenv("EIC_PLAN_KEY", "k")
    document["signature"] = planfile._sign(document["body"])
    Path(path).write_text(json.dumps(document))
    world.reset_calls()
    result = eic("apply", path, EIC_PLAN_KEY="k")
    assert result.code == 1 and "does not follow from the declared configs" in result.err
    assert writes(world) == 0


def test_plan_out_never_overwrites_a_config_file(eic, world, configs):
    world.load_world(world_of())
    directory = configs(entry("orders-a", 1))
    target = directory / "orders.yaml"
    before = target.read_text()
    result = eic("plan", str(directory), "--out", str(target))
    assert result.code == 1 and "not an eic plan file" in result.err
    assert target.read_text() == before
