"""``eic export``: live configs out as a directory that plans clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ACCOUNT = "111122223333"
REGION = "eu-west-1"
OTHER_REGION = "us-east-1"
DESTINATIONS = {
    "queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-fail",
    "topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:t-fail",
    "bus": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/bus-a",
    "function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn-handler",
}
BUCKET = "arn:aws:s3:::b-fail"
QUALIFIERS = ["$LATEST", "1", "2", "live", "beta"]


def base_world(configs: list[dict]) -> dict:
    functions = [
        {"name": name, "versions": 2, "aliases": {"live": "1", "beta": "2"}}
        for name in ("fn", "fn-b")
    ]
    functions += [{"name": "fn-handler"}, {"name": "fn", "region": OTHER_REGION}]
    return {
        "account": ACCOUNT,
        "region": REGION,
        "functions": functions,
        "queues": ["q-fail"],
        "topics": ["t-fail"],
        "buses": ["bus-a"],
        "buckets": ["b-fail"],
        "event_invoke_configs": configs,
    }


def export_and_plan(eic, out: Path) -> tuple:
    exported = eic("export", "--region", REGION, "--region", OTHER_REGION, "--out", str(out))
    planned = eic("plan", str(out), "--detailed-exitcode")
    return exported, planned


def test_every_shape_of_live_state_round_trips(eic, world, tmp_path):
    configs = [
        {"function_name": "fn", "maximum_retry_attempts": 0},
        {"function_name": "fn", "qualifier": "1", "maximum_event_age_in_seconds": 60},
        {"function_name": "fn", "qualifier": "live", "maximum_retry_attempts": 2},
        {
            "function_name": "fn",
            "qualifier": "beta",
            "destination_config": {
                "on_success": {"destination": DESTINATIONS["bus"]},
                "on_failure": {"destination": BUCKET},
            },
        },
        {
            "function_name": "fn-b",
            "maximum_retry_attempts": 1,
            "maximum_event_age_in_seconds": 21600,
            "destination_config": {
                "on_success": {"destination": DESTINATIONS["function"]},
                "on_failure": {"destination": DESTINATIONS["topic"]},
            },
        },
        {
            "function_name": "fn-b",
            "qualifier": "2",
            "destination_config": {"on_failure": {"destination": DESTINATIONS["queue"]}},
        },
        {"function_name": "fn", "region": OTHER_REGION, "maximum_retry_attempts": 1},
    ]
    world.load_world(base_world(configs))
    out = tmp_path / "exported"
    exported, planned = export_and_plan(eic, out)
    assert exported.code == 0, exported.text
    assert planned.code == 0 and "No changes." in planned.out, planned.text
    fn = yaml.safe_load((out / "fn.yaml").read_text())["configs"]
    assert fn[0] == {"function_name": "fn", "maximum_retry_attempts": 0}  # $LATEST implicit
    assert {"function_name": "fn", "qualifier": "live"} in fn  # default left out
    assert {"function_name": "fn", "qualifier": 1, "maximum_event_age_in_seconds": 60} in fn
    assert {"function_name": "fn", "region": OTHER_REGION, "maximum_retry_attempts": 1} in fn
    settings_file = (out / "eic.yaml").read_text()
    assert 'account: "111122223333"' in settings_file
    assert yaml.safe_load(settings_file)["scope"] == ["fn", "fn-b"]
    assert (out / "fn.yaml").read_text().startswith("# yaml-language-server: $schema=")


def test_export_is_stable(eic, world, tmp_path):
    world.load_world(base_world([{"function_name": "fn", "qualifier": "beta", "maximum_retry_attempts": 0}]))
    first, second = tmp_path / "a", tmp_path / "b"
    eic("export", "--region", REGION, "--out", str(first))
    eic("export", "--region", REGION, "--out", str(second))
    for path in first.iterdir():
        assert path.read_text() == (second / path.name).read_text()


def test_export_refuses_to_overwrite_without_force(eic, world, tmp_path):
    world.load_world(base_world([{"function_name": "fn", "maximum_retry_attempts": 0}]))
    out = tmp_path / "out"
    out.mkdir()
    (out / "fn.yaml").write_text("# mine\n")
    refused = eic("export", "--region", REGION, "--out", str(out))
    assert refused.code == 1 and "--force" in refused.err
    assert (out / "fn.yaml").read_text() == "# mine\n"
    assert eic("export", "--region", REGION, "--out", str(out), "--force").code == 0


def test_function_patterns_limit_the_export(eic, world, tmp_path):
    world.load_world(base_world([
        {"function_name": "fn", "maximum_retry_attempts": 0},
        {"function_name": "fn-b", "maximum_retry_attempts": 0},
    ]))
    out = tmp_path / "out"
    assert eic("export", "--region", REGION, "--function", "fn-*", "--out", str(out)).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["eic.yaml", "fn-b.yaml"]


retries = st.one_of(st.none(), st.integers(0, 2))
ages = st.one_of(st.none(), st.sampled_from([60, 61, 3600, 21599, 21600]))
success = st.one_of(st.none(), st.sampled_from(sorted(DESTINATIONS.values())))
failure = st.one_of(st.none(), st.sampled_from(sorted(DESTINATIONS.values()) + [BUCKET]))


@st.composite
def live_states(draw) -> list[dict]:
    chosen = draw(
        st.lists(
            st.tuples(st.sampled_from(["fn", "fn-b"]), st.sampled_from(QUALIFIERS)),
            unique=True,
            max_size=6,
        )
    )
    configs = []
    for function, qualifier in chosen:
        entry = {"function_name": function, "qualifier": qualifier}
        r, a, s, f = draw(retries), draw(ages), draw(success), draw(failure)
        if r is None and a is None and s is None and f is None:
            r = draw(st.integers(0, 2))  # AWS refuses a config with no setting
        if r is not None:
            entry["maximum_retry_attempts"] = r
        if a is not None:
            entry["maximum_event_age_in_seconds"] = a
        halves = {}
        if s:
            halves["on_success"] = {"destination": s}
        if f:
            halves["on_failure"] = {"destination": f}
        if halves:
            entry["destination_config"] = halves
        configs.append(entry)
    return configs


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(configs=live_states())
def test_any_live_state_exports_to_a_directory_that_plans_clean(
    eic, world, tmp_path, configs
):
    world.load_world(base_world(configs))
    out = tmp_path / "generated"
    shutil.rmtree(out, ignore_errors=True)
    exported, planned = export_and_plan(eic, out)
    assert exported.code == 0, exported.text
    assert planned.code == 0 and "No changes." in planned.out, (configs, planned.text)


def test_export_refuses_to_leave_stale_files_beside_a_new_scope(eic, world, tmp_path):
    world.load_world(base_world([
        {"function_name": "fn", "maximum_retry_attempts": 0},
        {"function_name": "fn-b", "maximum_retry_attempts": 0},
    ]))
    out = tmp_path / "out"
    assert eic("export", "--region", REGION, "--out", str(out)).code == 0
    narrower = eic("export", "--region", REGION, "--function", "fn-*", "--out", str(out), "--force")
    assert narrower.code == 1 and "fn.yaml" in narrower.err
    assert (out / "fn.yaml").exists()
