"""No credential or secret ever appears in what eic prints or writes.

Every command runs as its own process with recognisable fake secrets in its
environment and ``--debug`` on, through success and failure; then all it
printed and every file it wrote is searched for them.
"""

from __future__ import annotations

from pathlib import Path

from fixtures_cli import write_tree

SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAEICFAKEKEY000042",
    "AWS_SECRET_ACCESS_KEY": "eicFakeSecretAccessKey/DoNotPrint+0042",
    "AWS_SESSION_TOKEN": "eicFakeSessionTokenDoNotPrint0042",
    "EIC_PLAN_KEY": "eicFakePlanKeyDoNotPrint0042",
    "GITHUB_TOKEN": "ghp_eicFakeGithubTokenDoNotPrint0042",
}
Q = "arn:aws:sqs:eu-west-1:111122223333:q-fail"


def test_no_secret_in_any_output_or_file(eic, world, tmp_path: Path):
    world.load_world(
        {
            "account": "111122223333",
            "region": "eu-west-1",
            "functions": [{"name": "orders-a"}, {"name": "orders-b"}],
            "queues": ["q-fail"],
            "event_invoke_configs": [
                {"function_name": "orders-b", "maximum_retry_attempts": 0}
            ],
        }
    )
    good = write_tree(tmp_path / "good", {
        "eic.yaml": "scope: [orders-*]\n",
        "a.yaml": "configs:\n  - function_name: orders-a\n    maximum_retry_attempts: 1\n"
        f"    destination_config: {{on_failure: {{destination: '{Q}'}}}}\n"
        "  - function_name: orders-missing\n    maximum_retry_attempts: 1\n",
    })
    bad = write_tree(tmp_path / "bad", {"a.yaml": "configs:\n  - function_name: x\n    maximum_retry_attempts: 9\n"})
    plan_file = tmp_path / "eic.plan"
    summary = tmp_path / "summary.md"
    exported = tmp_path / "exported"
    env = {**SECRETS, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    runs = [
        ("validate", str(good)),
        ("validate", str(bad)),
        ("plan", str(good), "--output", "json"),
        ("plan", str(good), "--output", "markdown"),
        ("plan", str(good)),
        ("apply", str(good), "--auto-approve"),
        ("export", "--out", str(exported)),
        ("iam-policy", str(good)),
        ("plan", str(good), "--endpoint-url", "http://127.0.0.1:9"),
    ]
    texts = []
    for args in runs:
        result = eic(*args, "--debug", subprocess_=True, **env)
        assert "Traceback" not in result.err, (args, result.err)
        texts.append(result.text)
    # A saved plan (made after the apply above, so it has a delete to carry).
    (good / "a.yaml").write_text("configs:\n  - function_name: orders-a\n")
    made = eic("plan", str(good), "--out", str(plan_file), "--debug",
               subprocess_=True, **env)
    applied = eic("apply", str(plan_file), "--debug", subprocess_=True, **env)
    assert applied.code == 0, applied.text
    texts += [made.text, applied.text]
    files = [plan_file, summary, *exported.iterdir()]
    texts += [path.read_text() for path in files]
    everything = "\n".join(texts)
    assert "orders-a" in everything  # the runs did real work
    for name, secret in SECRETS.items():
        assert secret not in everything, f"{name} leaked"
        assert secret[:12] not in everything, f"part of {name} leaked"
