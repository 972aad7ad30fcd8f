"""Pure units: normal form, call selection, plan building. No AWS, no I/O."""

from __future__ import annotations

import pytest

from reconciler.errors import Location
from reconciler.live import LiveState
from reconciler.loader import ConfigSet, DirSettings
from reconciler.model import (
    Desired,
    Identity,
    Live,
    Settings,
    settings_from_api,
    settings_to_api,
)
from reconciler.planner import choose_call, make_plan

Q = "arn:aws:sqs:eu-west-1:111122223333:q-fail"
T = "arn:aws:sns:eu-west-1:111122223333:t-fail"
BUS = "arn:aws:events:eu-west-1:111122223333:event-bus/bus-a"
FN = Identity("eu-west-1", "111122223333", "fn", "$LATEST")
HERE = Location("configs/fn.yaml", 3, 5)


def test_unset_settings_normalise_to_aws_defaults():
    assert Settings().normal() == Settings(2, 21600, None, None)
    assert Settings(on_success="").normal() == Settings(2, 21600, None, None)


def test_empty_destination_halves_read_as_no_destination():
    read = {
        "FunctionArn": "arn:aws:lambda:eu-west-1:111122223333:function:fn:$LATEST",
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {"Destination": Q}},
    }
    assert settings_from_api(read) == Settings(2, None, None, Q)


def test_write_leaves_out_empty_halves_and_unset_settings():
    request = settings_to_api(Settings(1, None, None, Q))
    assert request == {
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {"OnFailure": {"Destination": Q}},
    }


def test_write_of_all_defaults_carries_the_default_retry_count():
    assert settings_to_api(Settings()) == {"MaximumRetryAttempts": 2}


@pytest.mark.parametrize(
    "desired, live",
    [
        (Settings(), None),  # all defaults against nothing live
        (Settings(maximum_retry_attempts=2), Settings()),  # case 10
        (Settings(), Settings(maximum_retry_attempts=2)),  # case 10 reversed
        (Settings(0), Settings(0)),  # case 9, zero stays zero
        (Settings(2, 21600), Settings(None, None)),
        (Settings(on_failure=Q), Settings(2, None, None, Q)),
    ],
)
def test_equal_in_normal_form_means_no_call(desired, live):
    assert choose_call(desired, live) is None


def test_declared_against_nothing_live_is_a_put_of_the_whole_config():
    call, request, _ = choose_call(Settings(1, 300, None, Q), None)
    assert call == "put"
    assert request == {
        "MaximumRetryAttempts": 1,
        "MaximumEventAgeInSeconds": 300,
        "DestinationConfig": {"OnFailure": {"Destination": Q}},
    }


def test_changing_declared_retries_is_an_update_of_only_that_setting():
    call, request, fields = choose_call(Settings(0, 300, None, Q), Settings(2, 300, None, Q))
    assert call == "update"
    assert request == {"MaximumRetryAttempts": 0}
    assert [(f.name, f.old, f.new) for f in fields] == [
        ("maximum_retry_attempts", 2, 0)
    ]


def test_changing_a_destination_is_a_put_that_keeps_the_other_half():
    call, request, _ = choose_call(
        Settings(on_success=BUS, on_failure=T), Settings(on_success=BUS, on_failure=Q)
    )
    assert call == "put"
    assert request["DestinationConfig"] == {
        "OnSuccess": {"Destination": BUS},
        "OnFailure": {"Destination": T},
    }


def test_leaving_a_live_setting_undeclared_is_a_put_that_removes_it():
    call, request, fields = choose_call(Settings(maximum_retry_attempts=1), Settings(1, 300))
    assert call == "put"
    assert request == {"MaximumRetryAttempts": 1}
    assert [(f.name, f.old, f.new) for f in fields] == [
        ("maximum_event_age_in_seconds", 300, 21600)
    ]


def test_update_is_not_used_when_the_changed_setting_is_undeclared():
    # Desired declares age only; live's retries 0 must go back to default 2.
    call, request, _ = choose_call(Settings(None, 300), Settings(0, 300))
    assert call == "put"
    assert request == {"MaximumEventAgeInSeconds": 300}


def test_nothing_declared_against_a_live_config_that_differs_puts_the_default():
    call, request, _ = choose_call(Settings(), Settings(0))
    assert (call, request) == ("put", {"MaximumRetryAttempts": 2})


def _plan(desired=(), live=(), scope=(), protect=(), missing=()):
    configs = ConfigSet(DirSettings(regions=("eu-west-1",), scope=scope, protect=protect))
    configs.desired = {d.identity: d for d in desired}
    state = LiveState("111122223333", managed_regions=("eu-west-1",))
    state.configs = {item.identity: item for item in live}
    state.missing = set(missing)
    if scope:
        state.owned = {(i.identity.region, i.identity.function): "f*" for i in live}
    return make_plan(configs, state)


def _qualified(qualifier):
    return Identity("eu-west-1", "111122223333", "fn", qualifier)


def test_owned_undeclared_config_is_deleted_with_its_reason():
    plan = _plan(
        desired=[Desired(FN, Settings(1), HERE)],
        live=[Live(FN, Settings(1)), Live(_qualified("live"), Settings(0, None, None, Q))],
        scope=("f*",),
    )
    assert [(c.identity.qualifier, c.call) for c in plan.changes] == [("live", "delete")]
    assert plan.changes[0].reason == "owned by scope `f*`, not declared"
    assert plan.unchanged == 1


def test_protected_config_is_spared_not_deleted():
    plan = _plan(
        live=[Live(_qualified("live"), Settings(0))], scope=("f*",), protect=("fn:live",)
    )
    assert plan.changes == ()
    assert plan.spared == ((_qualified("live"), "fn:live"),)


def test_without_scope_nothing_is_deleted_and_the_plan_says_so():
    plan = _plan(live=[Live(_qualified("live"), Settings(0))])
    assert plan.changes == ()
    assert plan.notes and "deletes nothing" in plan.notes[0]


def test_missing_function_is_an_error_and_the_rest_is_still_planned():
    other = Identity("eu-west-1", "111122223333", "gone", "$LATEST")
    plan = _plan(
        desired=[Desired(FN, Settings(1), HERE), Desired(other, Settings(1), HERE)],
        missing=[("eu-west-1", "gone")],
    )
    assert [c.identity for c in plan.changes] == [FN]
    assert [e.identity for e in plan.errors] == [other]


def test_deletes_come_after_creates_and_updates():
    plan = _plan(
        desired=[Desired(_qualified("z"), Settings(1), HERE)],
        live=[Live(_qualified("a"), Settings(0))],
        scope=("f*",),
    )
    assert [c.action for c in plan.ordered()] == ["create", "delete"]


def test_loader_ranks_an_arn_region_above_the_file_default(tmp_path):
    from reconciler.loader import load_directory

    (tmp_path / "c.yaml").write_text(
        "defaults:\n  region: us-east-1\n  destination_config:\n"
        f"    on_failure: {{destination: '{Q.replace('eu-west-1', 'us-east-1')}'}}\n"
        "configs:\n"
        "  - function_name: arn:aws:lambda:eu-west-1:111122223333:function:fn\n"
        "  - function_name: fn\n    destination_config: {on_failure: {}}\n"
    )
    desired = load_directory(str(tmp_path), "ap-south-1").desired
    by_region = {i.region: d.settings for i, d in desired.items()}
    assert set(by_region) == {"eu-west-1", "us-east-1"}
    assert by_region["eu-west-1"].on_failure  # the default destination applies
    assert by_region["us-east-1"].on_failure is None  # `{}` opts out of it


def test_loader_follows_symlinked_folders(tmp_path):
    from reconciler.loader import load_directory

    team = tmp_path / "team"
    team.mkdir()
    (team / "t.yaml").write_text("configs:\n  - function_name: fn\n")
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "team").symlink_to(team)
    assert [i.function for i in load_directory(str(configs), "eu-west-1").desired] == ["fn"]


def test_owned_config_at_all_defaults_is_not_deleted():
    plan = _plan(live=[Live(_qualified("live"), Settings(2))], scope=("f*",))
    assert plan.changes == ()


def test_summary_line_counts_what_could_not_be_planned():
    from reconciler.render import summary_line

    other = Identity("eu-west-1", "111122223333", "gone", "$LATEST")
    plan = _plan(desired=[Desired(other, Settings(1), HERE)], missing=[("eu-west-1", "gone")])
    assert summary_line(plan) == "No changes to the rest. 1 could not be planned."


@pytest.mark.parametrize("text", ["010", "0x2", "0b1", "1_0", "1:00"])
def test_yaml_1_1_number_forms_are_refused(tmp_path, text):
    from reconciler.errors import InputError
    from reconciler.loader import load_directory

    (tmp_path / "c.yaml").write_text(
        f"configs:\n  - function_name: fn\n    maximum_retry_attempts: {text}\n"
    )
    with pytest.raises(InputError) as raised:
        load_directory(str(tmp_path), "eu-west-1")
    assert "plain decimal number" in str(raised.value.problems[0])


def test_empty_eic_yaml_is_no_settings(tmp_path):
    from reconciler.loader import load_directory

    (tmp_path / "eic.yaml").write_text("# settings come later\n")
    (tmp_path / "c.yaml").write_text("configs: []\n")
    assert load_directory(str(tmp_path), "eu-west-1").settings.scope == ()
