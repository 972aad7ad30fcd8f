"""Property test: `eic validate` answers 0 or 1 for any files, and never raises.

Hypothesis writes a small configs directory (one to three files, eic.yaml
among the candidates) whose contents range from almost-valid configs through
YAML-ish junk to random bytes, then calls ``reconciler.cli.main`` in this
process. Whatever the input, ``main`` must return 0 or 1, print no
traceback, and raise nothing (not even SystemExit).

``reconciler`` is imported inside the test, never at collection time.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENTRY_KEYS = [
    "function_name",
    "qualifier",
    "region",
    "maximum_retry_attempts",
    "maximum_event_age_in_seconds",
    "destination_config",
]
TOP_KEYS = ["configs", "defaults"]
HALF_KEYS = ["on_success", "on_failure", "destination"]
SETTINGS_KEYS = ["regions", "account", "scope", "protect", "rate_limit"]
NEAR_MISSES = ["config", "maximum_retry_attempt", "destinations", "Region", "qualifer"]

ACCOUNT = "111122223333"
FUNCTION_NAMES = [
    "orders-ingest",
    "orders-ingest:live",
    "orders-ingest:$LATEST",
    f"{ACCOUNT}:function:orders-ingest",
    f"{ACCOUNT}:function:orders-ingest:3",
    f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders-ingest",
    f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-ingest:beta",
    "arn:aws:lambda:eu-west-1:444455556666:function:orders-ingest",
    "arn:aws:lambda:eu-west-1::function:",
    "orders ingest!",
    "x" * 65,
    "",
]
QUALIFIERS = ["$LATEST", "live", "beta", "3", "0", "a" * 129, "live/blue", ""]
REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2", "europe-west1", ""]
DESTINATIONS = [
    f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders-dlq",
    f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders-alerts",
    f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders-handler",
    f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders-ingest",
    f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/orders-bus",
    "arn:aws:s3:::orders-failures",
    f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/t",
    f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/orders-dlq",
    "arn:aws:sqs:orders-dlq",
    "arn:" + "q" * 400,
]
YAML_BITS = [
    "configs:",
    "defaults:",
    "function_name:",
    "qualifier:",
    "- ",
    "  ",
    "\n",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    "? ",
    "&a ",
    "*a",
    "<<: ",
    "!!python/object/apply:os.system ",
    "!Ref ",
    "!!binary ",
    "!!int ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "'",
    '"',
    "#",
    "|\n",
    ">-\n",
    "\ufeff",
    "\r\n",
    "\x00",
    "\x85",
    "~",
    "null",
    "yes",
    "0x1F",
    "0o17",
    "1_000",
    ".inf",
    "2.0",
    "-1",
    "$LATEST",
    "orders-ingest",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=30_000),
    st.integers(),
    st.floats(),
    st.text(max_size=16),
    st.sampled_from(FUNCTION_NAMES + QUALIFIERS + REGIONS + DESTINATIONS),
)
keys = st.one_of(
    st.sampled_from(ENTRY_KEYS + TOP_KEYS + HALF_KEYS + SETTINGS_KEYS + NEAR_MISSES),
    st.text(max_size=10),
    st.integers(),
    st.booleans(),
)
junk_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=20,
)


def maybe(key: str, values: st.SearchStrategy) -> st.SearchStrategy[dict]:
    return st.one_of(st.just({}), values.map(lambda value: {key: value}))


def merged(*parts: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    return st.tuples(*parts).map(
        lambda dicts: {k: v for d in dicts for k, v in d.items()}
    )


half = st.one_of(
    st.fixed_dictionaries({"destination": st.sampled_from(DESTINATIONS)}),
    st.just({}),
    junk_values,
)
destination_config = merged(maybe("on_success", half), maybe("on_failure", half))
retries = st.one_of(st.integers(min_value=-1, max_value=3), scalars)
ages = st.one_of(st.sampled_from([59, 60, 3600, 21600, 21601]), scalars)

# Entries that are valid or nearly so, so that identities, merging and
# duplicate detection run, not just the first type check.
entry = merged(
    maybe("function_name", st.sampled_from(FUNCTION_NAMES)),
    maybe("qualifier", st.one_of(st.sampled_from(QUALIFIERS), st.integers(0, 5))),
    maybe("region", st.sampled_from(REGIONS)),
    maybe("maximum_retry_attempts", retries),
    maybe("maximum_event_age_in_seconds", ages),
    maybe("destination_config", st.one_of(destination_config, junk_values)),
    st.one_of(st.just({}), st.dictionaries(keys, junk_values, max_size=1)),
)
# Entries valid on their own; together they may still collide.
valid_half = st.fixed_dictionaries({"destination": st.sampled_from(DESTINATIONS[:5])})
valid_entry = merged(
    st.fixed_dictionaries(
        {"function_name": st.sampled_from(FUNCTION_NAMES[:3] + FUNCTION_NAMES[5:6])}
    ),
    maybe("qualifier", st.sampled_from(["$LATEST", "live", "beta", 3, "3"])),
    maybe("maximum_retry_attempts", st.integers(0, 2)),
    maybe("maximum_event_age_in_seconds", st.integers(60, 21600)),
    maybe(
        "destination_config",
        merged(
            maybe("on_success", valid_half),
            maybe(
                "on_failure",
                st.one_of(valid_half, st.just({"destination": DESTINATIONS[5]})),
            ),
        ),
    ),
)
valid_config_doc = st.lists(valid_entry, max_size=4).map(lambda xs: {"configs": xs})
config_doc = merged(
    st.lists(st.one_of(entry, junk_values), max_size=5).map(lambda xs: {"configs": xs}),
    maybe("defaults", st.one_of(entry, junk_values)),
)
settings_doc = merged(
    maybe(
        "regions", st.one_of(st.lists(st.sampled_from(REGIONS), max_size=3), scalars)
    ),
    maybe("account", st.sampled_from([ACCOUNT, 111122223333, "1234", None])),
    maybe(
        "scope", st.one_of(st.lists(st.sampled_from(["orders-*", "*", "["])), scalars)
    ),
    maybe(
        "protect", st.one_of(st.lists(st.sampled_from(["orders-*:live", ":"])), scalars)
    ),
)


def dump(value: object) -> str:
    try:
        return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        return repr(value)


@st.composite
def mutated(draw: st.DrawFn, text: st.SearchStrategy[str]) -> str:
    """Valid YAML text, then cut, spliced or re-indented with tabs."""
    source = draw(text)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(source)))
        kind = draw(st.sampled_from(["cut", "insert", "tabs", "repeat"]))
        if kind == "cut":
            source = source[:at]
        elif kind == "insert":
            source = source[:at] + draw(st.sampled_from(YAML_BITS)) + source[at:]
        elif kind == "tabs":
            source = source.replace("  ", "\t", 1)
        else:
            source = source[:at] + source
    return source


def deep(depth: int, opener: str, closer: str, closed: bool) -> str:
    return "configs: " + opener * depth + (closer * depth if closed else "")


texts = st.one_of(
    valid_config_doc.map(dump),
    config_doc.map(dump),
    mutated(config_doc.map(dump)),
    junk_values.map(dump),
    st.lists(st.sampled_from(YAML_BITS), max_size=30).map("".join),
    st.text(max_size=200),
    st.builds(
        deep,
        st.integers(1, 3000),
        st.sampled_from(["[", "{a: ", "- "]),
        st.sampled_from(["]", "}", ""]),
        st.booleans(),
    ),
)
contents = st.one_of(
    texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.tuples(
        st.sampled_from(["utf-16", "latin-1", "utf-8-sig"]), config_doc.map(dump)
    ).map(lambda pair: pair[1].encode(pair[0], "replace")),
)
file_names = st.sampled_from(["a.yaml", "b.yml", "sub/c.yaml", "sub/deeper/d.yml"])
files = st.one_of(
    st.dictionaries(
        file_names, valid_config_doc.map(dump).map(str.encode), min_size=1, max_size=3
    ),
    st.dictionaries(file_names, contents, min_size=1, max_size=3),
)
eic_yaml = st.one_of(
    st.none(),
    st.just(b'regions: [eu-west-1, us-east-1]\naccount: "111122223333"\n'),
    settings_doc.map(lambda doc: dump(doc).encode()),
    texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
)


@pytest.fixture(scope="module", autouse=True)
def no_aws() -> Iterator[None]:
    """The fuzz runs in-process: point any stray AWS call at a dead port."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
        }.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=files, settings_file=eic_yaml)
def test_validate_never_raises(
    files: dict[str, bytes], settings_file: bytes | None
) -> None:
    from reconciler.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        if settings_file is not None:
            (root / "eic.yaml").write_bytes(settings_file)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", str(root)])
    assert code in (0, 1), f"exit {code!r}\n{err.getvalue()[:2000]}"
    assert "Traceback" not in err.getvalue() + out.getvalue(), err.getvalue()[:4000]
    if code == 1:
        assert err.getvalue().strip(), "exit 1 with no error message"
