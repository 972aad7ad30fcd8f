"""`eic validate` against hostile and broken input, run as a real process.

Each directory under ``tests/bad/`` is one case: the files ``eic validate``
must reject, and an ``EXPECT`` file holding a lowercase substring the error
must contain. ``tests/good/`` holds unusual inputs that must be accepted.
Inputs git cannot hold (a 50 MB file, a FIFO, symlink tricks) are built in
``tmp_path`` by the tests below.

Every run points ``AWS_ENDPOINT_URL`` at a dead port: ``validate`` reads no
AWS state, and a stray call would show up as a connection error in the
output. Each run is capped at 60 s and 1 GiB of address space, so a parser
that hangs or explodes fails its case instead of the whole session.

Nothing here imports ``reconciler``; the CLI is exercised only through
``python -m reconciler``.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BAD = REPO / "tests" / "bad"
GOOD = REPO / "tests" / "good"
EXAMPLE = REPO / "configs"

TIMEOUT = 60
MEMORY_LIMIT = 1 << 30
# Nothing listens on port 9 (discard) on a test machine.
DEAD_ENDPOINT = "http://127.0.0.1:9"
# Error paragraphs are short; kilobytes of output mean a file's content or a
# repr of a huge structure is being echoed.
MAX_OUTPUT = 64 * 1024
# What the payload of the `python-object-apply` case would create if it ran.
PWNED = Path("/tmp/eic-bad-input-pwned")

# Cases whose error has no line to point at: the bytes are not text, there is
# no content, or the path is not a file. Keyed by name without the number.
NO_POSITION = {
    "non-utf8-latin1",
    "utf16",
    "binary-png",
    "nul-byte",
    "empty-file",
    "dir-named-yaml",
}


def case_dirs(root: Path) -> list[Path]:
    return sorted(path for path in root.iterdir() if path.is_dir())


def short_name(case: Path) -> str:
    return case.name.split("-", 1)[1]


def yaml_paths(case: Path) -> list[Path]:
    """Paths eic should look at: every *.yaml/*.yml, file or not."""
    return sorted(path for path in case.rglob("*") if path.suffix in (".yaml", ".yml"))


def named_files(case: Path) -> list[str]:
    """Names the error must mention: the config files, else eic.yaml."""
    names = [path.name for path in yaml_paths(case)]
    configs = [name for name in names if name != "eic.yaml"]
    return configs or names


# --- running the CLI ----------------------------------------------------------


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cli_env(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "EIC_", "BOTO_"))
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_REGION="eu-west-1",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ENDPOINT_URL=DEAD_ENDPOINT,
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


def validate(target: Path, home: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", "validate", str(target)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=TIMEOUT,
            env=cli_env(home),
            cwd=home,
            preexec_fn=limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"eic validate {target} still running after {TIMEOUT}s")


@dataclass
class Expectation:
    names: list[str]
    # Any one of these must appear in the error; committed cases have one.
    phrases: tuple[str, ...]
    position: bool
    # Strings that appear in paths, removed before looking for a phrase so
    # that a file called yaml-x.yaml cannot satisfy "yaml" on its own.
    scrub: tuple[str, ...] = ()


def assert_rejected(proc: subprocess.CompletedProcess[str], want: Expectation) -> None:
    err, out = proc.stderr, proc.stdout
    report = (
        f"exit {proc.returncode}\n--- stderr\n{err[:4000]}\n--- stdout\n{out[:2000]}"
    )
    assert "Traceback" not in err, report
    assert "Traceback" not in out, report
    assert proc.returncode == 1, report
    assert len(err) < MAX_OUTPUT, f"{len(err)} characters on stderr"
    assert len(out) < MAX_OUTPUT, f"{len(out)} characters on stdout"
    assert DEAD_ENDPOINT.removeprefix("http://") not in err, (
        "validate called AWS\n" + report
    )
    assert "could not connect" not in err.lower(), "validate called AWS\n" + report
    for name in want.names:
        assert name in err, f"{name} not named\n{report}"
        if want.position:
            assert re.search(re.escape(name) + r":\d+:", err), (
                f"no {name}:LINE:\n{report}"
            )
    scrubbed = err.lower()
    for token in sorted(want.scrub, key=len, reverse=True):
        scrubbed = scrubbed.replace(token.lower(), "")
    assert any(phrase in scrubbed for phrase in want.phrases), (
        f"none of {want.phrases} in the error\n{report}"
    )


def assert_accepted(proc: subprocess.CompletedProcess[str]) -> None:
    report = f"exit {proc.returncode}\n--- stderr\n{proc.stderr[:4000]}"
    assert "Traceback" not in proc.stderr + proc.stdout, report
    assert proc.returncode == 0, report
    assert DEAD_ENDPOINT.removeprefix("http://") not in proc.stderr, report


# --- the committed corpus -------------------------------------------------------


def expectation(case: Path) -> Expectation:
    phrase = (case / "EXPECT").read_text(encoding="utf-8").strip()
    names = named_files(case)
    return Expectation(
        names=names,
        phrases=(phrase,),
        position=short_name(case) not in NO_POSITION,
        scrub=(str(case), case.name, *(path.name for path in case.rglob("*"))),
    )


@pytest.mark.parametrize("case", case_dirs(BAD), ids=lambda path: path.name)
def test_bad_case_is_rejected(case: Path, tmp_path: Path) -> None:
    PWNED.unlink(missing_ok=True)
    assert_rejected(validate(case, tmp_path), expectation(case))
    assert not PWNED.exists(), "a YAML tag ran code"


@pytest.mark.parametrize(
    "case", [*case_dirs(GOOD), EXAMPLE], ids=lambda path: path.name
)
def test_good_case_is_accepted(case: Path, tmp_path: Path) -> None:
    assert_accepted(validate(case, tmp_path))


def test_corpus_is_well_formed() -> None:
    cases = case_dirs(BAD)
    assert len(cases) >= 60
    assert {short_name(case) for case in cases} >= NO_POSITION
    for case in cases:
        assert re.fullmatch(r"\d{3}-[a-z0-9-]+", case.name), case.name
        lines = (case / "EXPECT").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 and lines[0] == lines[0].strip().lower() != "", case
        assert yaml_paths(case), f"{case.name} has nothing for eic to read"


# --- every error, in one run -------------------------------------------------------


def chunks_for(err: str, name: str, names: list[str]) -> list[str]:
    """The text after each `NAME:` location, up to the next location."""
    alternatives = "|".join(map(re.escape, names))
    location = re.compile(rf"(?:{alternatives})(?::\d+)*:")
    starts = list(location.finditer(err))
    return [
        err[match.end() : next_.start() if next_ else len(err)].lower()
        for match, next_ in zip(starts, [*starts[1:], None])
        if match.group().startswith(name)
    ]


def assert_each_reported(err: str, wanted: dict[str, str]) -> None:
    names = list(wanted)
    for name, phrase in wanted.items():
        chunks = chunks_for(err, name, names)
        assert chunks, f"{name} not reported\n{err[:4000]}"
        assert any(phrase in chunk for chunk in chunks), (
            f"{name}: no error containing {phrase!r}\n{err[:4000]}"
        )


def test_three_bad_files_all_reported(tmp_path: Path) -> None:
    proc = validate(BAD / "111-three-bad-files", tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert_each_reported(
        proc.stderr,
        {"a.yaml": "0 to 2", "b.yml": "duplicate key", "c.yaml": "did you mean"},
    )


def test_every_file_reported_whatever_its_fault(tmp_path: Path) -> None:
    """A syntax error or an empty file must not hide the other files' errors."""
    configs = tmp_path / "configs"
    picks = {
        "f1-range.yaml": "retries-5",
        "f2-typo.yml": "unknown-entry-key-typo",
        "f3-dupkey.yaml": "duplicate-key-entry",
        "f4-tab.yaml": "tab-indent",
        "f5-empty.yaml": "empty-file",
        "f6-tag.yaml": "cloudformation-tag",
    }
    wanted = {}
    by_short_name = {short_name(case): case for case in case_dirs(BAD)}
    for target, source in picks.items():
        case = by_short_name[source]
        (config,) = (path for path in yaml_paths(case) if path.name != "eic.yaml")
        configs.mkdir(exist_ok=True)
        shutil.copyfile(config, configs / target)
        wanted[target] = (case / "EXPECT").read_text(encoding="utf-8").strip()
    proc = validate(configs, tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert_each_reported(proc.stderr, wanted)


@pytest.mark.parametrize(
    "case",
    [
        "dup-identity-same-file",
        "dup-identity-name-colon-latest",
        "dup-identity-default-region-vs-explicit",
    ],
)
def test_duplicate_in_one_file_names_both_lines(case: str, tmp_path: Path) -> None:
    (path,) = BAD.glob(f"*-{case}")
    proc = validate(path, tmp_path)
    lines = set(re.findall(r"orders\.yaml:(\d+):", proc.stderr))
    assert proc.returncode == 1 and len(lines) >= 2, proc.stderr


# --- inputs built at test time ---------------------------------------------------

Builder = Callable[[Path], Expectation]


def big_file(root: Path) -> Expectation:
    """50 MB of comments after a valid entry: only the size is wrong."""
    block = ("# " + "padding " * 12 + "\n") * 10_000
    with open(root / "x.yaml", "w", encoding="utf-8") as out:
        out.write("configs:\n  - function_name: orders-ingest\n")
        while out.tell() < 50 * 1024 * 1024:
            out.write(block)
    return Expectation(["x.yaml"], ("large", "big", "size"), position=False)


def symlink_loop(root: Path) -> Expectation:
    (root / "a.yaml").symlink_to("b.yaml")
    (root / "b.yaml").symlink_to("a.yaml")
    return Expectation(["a.yaml", "b.yaml"], ("link", "loop"), position=False)


def dev_zero(root: Path) -> Expectation:
    """Reading it never ends: eic must look before it reads."""
    (root / "x.yaml").symlink_to("/dev/zero")
    return Expectation(
        ["x.yaml"],
        ("regular file", "not a file", "device", "large", "size"),
        position=False,
    )


def fifo(root: Path) -> Expectation:
    """Opening a FIFO with no writer blocks forever."""
    os.mkfifo(root / "x.yaml")
    return Expectation(
        ["x.yaml"], ("regular file", "not a file", "fifo", "pipe"), position=False
    )


def unreadable(root: Path) -> Expectation:
    """A symlink to a file that is gone: open() fails even for root.

    Tests run as root, so chmod 000 would not stop the read. Silently
    skipping this file would make apply delete everything it declared.
    """
    (root / "x.yaml").symlink_to("removed-in-a-rebase.yaml")
    return Expectation(
        ["x.yaml"],
        ("no such file", "does not exist", "dangling", "broken", "not found"),
        position=False,
        scrub=("removed-in-a-rebase.yaml",),
    )


def open_brackets(root: Path) -> Expectation:
    """100k unclosed `[`: a recursive parser dies long before the end."""
    (root / "x.yaml").write_text("[" * 100_000, encoding="utf-8")
    return Expectation(["x.yaml"], ("nest", "deep", "yaml"), position=False)


GENERATED: dict[str, Builder] = {
    "50mb-file": big_file,
    "symlink-loop": symlink_loop,
    "symlink-to-dev-zero": dev_zero,
    "fifo": fifo,
    "dangling-symlink": unreadable,
    "100k-open-brackets": open_brackets,
}


@pytest.mark.parametrize("name", GENERATED)
def test_generated_case_is_rejected(name: str, tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    try:
        want = GENERATED[name](configs)
        want.scrub = (*want.scrub, *want.names, str(configs))
        assert_rejected(validate(configs, tmp_path), want)
    finally:
        shutil.rmtree(configs)  # 50 MB need not outlive the test
