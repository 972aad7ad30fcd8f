"""Read one YAML file defensively, keeping the position of every value.

PyYAML's loaders keep the last of two equal keys, expand alias bombs and
build Python objects from tags. This module reads the safe (C, when
available) parser's events and builds plain data itself: duplicate keys,
unknown tags, deep nesting and oversized expansions become ``YamlProblem``s.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.errors import Location, Problem

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

DocPath = tuple[str | int, ...]
# The pure-Python and libyaml parsers each have their own Mark class.
Mark = Any

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
# A date-like plain scalar resolves to timestamp; we keep its text.
_TEXT_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


@dataclass
class Document:
    """Plain data from one file, with the position of each value and key."""

    path: str
    data: Any
    has_float: bool = False
    value_marks: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[DocPath, tuple[int, int]] = field(default_factory=dict)

    def location(self, doc_path: DocPath, key: bool = False) -> Location:
        """The closest known position of ``doc_path`` (or of its key)."""
        first, second = (
            (self.key_marks, self.value_marks)
            if key
            else (self.value_marks, self.key_marks)
        )
        path = tuple(doc_path)
        while path and path not in first and path not in second:
            path = path[:-1]
        line, col = first.get(path) or second.get(path) or (1, 1)
        return Location(self.path, line, col)


class YamlProblem(Exception):
    """Raised inside the builder; turned into a ``Problem`` by ``load``."""

    def __init__(self, message: str, mark: Mark = None) -> None:
        super().__init__(message)
        self.mark = mark


def read_text(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a regular file of at most ``max_bytes`` as UTF-8 text.

    Checks the file type and size before opening, so a FIFO, a device or a
    huge file is refused without blocking or reading it.
    """
    try:
        info = os.stat(path)
    except OSError as err:
        raise YamlProblem(_os_reason(err)) from err
    if stat.S_ISDIR(info.st_mode):
        raise YamlProblem(
            "is a directory with a config-file name; rename it so it is "
            "not mistaken for a config file"
        )
    if not stat.S_ISREG(info.st_mode):
        raise YamlProblem("is not a regular file (a FIFO, socket or device?)")
    if info.st_size > max_bytes:
        raise YamlProblem(
            f"is {info.st_size} bytes, over the {max_bytes}-byte limit; "
            "raise it with --max-file-size if the file is meant to be this big"
        )
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as err:
        raise YamlProblem(_os_reason(err)) from err
    return _decode(raw)


_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def _decode(raw: bytes) -> str:
    for bom, name in _WIDE_BOMS.items():
        if raw.startswith(bom):
            raise YamlProblem(f"is {name} encoded; save it as UTF-8")
    if b"\0" in raw:
        raise YamlProblem("holds binary data (NUL bytes); a config is YAML text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise YamlProblem(
            f"is not valid UTF-8 (byte 0x{raw[err.start]:02x} on line {line}); "
            "save the file as UTF-8"
        ) from err


def _os_reason(err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "is a symbolic link loop"
    if err.errno == errno.ENOENT:
        return "cannot be read: it does not exist (a dangling symbolic link?)"
    return f"cannot be read: {err.strerror or err}"


def load(
    path: str, max_bytes: int = DEFAULT_MAX_BYTES, empty: Any = None
) -> Document:
    """Load one YAML file holding exactly one document.

    Raises ``YamlProblem`` (with a mark where known) for anything that is not
    a plain YAML document. A file with no document is refused unless
    ``empty`` says what it stands for.
    """
    text = read_text(path, max_bytes)
    if empty is not None and _holds_nothing(text):
        return Document(path, empty)
    if not text.strip():
        raise YamlProblem("is empty; a config file needs a `configs:` list")
    if "\t" in text:
        _refuse_tab_indent(text)
    doc = Document(path, None)
    doc.data = _parse(text, doc)
    return doc


def _holds_nothing(text: str) -> bool:
    lines = (line.strip() for line in text.splitlines())
    return all(not line or line.startswith("#") or line == "---" for line in lines)


def _refuse_tab_indent(text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            mark = yaml.Mark("", 0, number - 1, len(line) - len(stripped), "", 0)
            raise YamlProblem(
                "a tab is used for indentation; YAML indents with spaces only",
                mark,
            )


def _parse(text: str, doc: Document) -> Any:
    """Build plain data from the parser's event stream.

    Events, not nodes: libyaml's composer recurses in C and crashes on deep
    nesting, while its event parser does not. Building from events also lets
    aliases share one value instead of being expanded.
    """
    loader = _Loader(text)
    try:
        return _EventBuilder(loader, doc).run()
    except yaml.MarkedYAMLError as err:
        what = " ".join(p for p in (err.context, err.problem) if p)
        raise YamlProblem(f"YAML syntax error: {what}", err.problem_mark) from err
    except yaml.YAMLError as err:  # reader errors are not marked
        raise YamlProblem(f"is not valid YAML: {err}") from err
    finally:
        loader.dispose()


@dataclass
class _Open:
    """A mapping or sequence being built, with what it needs to finish."""

    value: dict | list
    path: DocPath
    anchor: str | None
    size_before: int
    key: str | None = None
    key_mark: tuple[int, int] | None = None


class _EventBuilder:
    def __init__(self, loader: Any, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.size = 0
        self.result: Any = None
        self.documents = 0
        self.constructor = yaml.constructor.SafeConstructor()
        self.handlers: dict[type, Callable[[Any], None]] = {
            yaml.ScalarEvent: self._on_scalar,
            yaml.MappingStartEvent: self._on_mapping,
            yaml.SequenceStartEvent: self._on_sequence,
            yaml.MappingEndEvent: self._close,
            yaml.SequenceEndEvent: self._close,
            yaml.AliasEvent: self._alias,
            yaml.DocumentStartEvent: self._on_document,
        }

    def run(self) -> Any:
        handlers = self.handlers
        get_event = self.loader.get_event
        while True:
            event = get_event()
            if event is None or type(event) is yaml.StreamEndEvent:
                break
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
        if self.documents == 0:
            raise YamlProblem("holds no YAML document (only comments?)")
        return self.result

    def _on_document(self, event: yaml.Event) -> None:
        self.documents += 1
        if self.documents > 1:
            raise YamlProblem(
                "holds more than one YAML document (`---`); keep one per file",
                event.start_mark,
            )

    def _grow(self, event: yaml.Event, by: int = 1) -> None:
        self.size += by
        if self.size > MAX_NODES:
            raise YamlProblem(
                f"expands to more than {MAX_NODES} values (an alias bomb?)",
                event.start_mark,
            )

    def _on_scalar(self, event: yaml.ScalarEvent) -> None:
        self._grow(event)
        self._add(self._scalar(event), event, event.anchor, 1)

    def _on_mapping(self, event: yaml.MappingStartEvent) -> None:
        self._open(event, {}, _MAP_TAG)

    def _on_sequence(self, event: yaml.SequenceStartEvent) -> None:
        self._open(event, [], _SEQ_TAG)

    def _open(self, event: Any, value: dict | list, tag: str) -> None:
        _check_tag(event.tag, event.start_mark, tag)
        if len(self.stack) >= MAX_DEPTH:
            raise YamlProblem(f"nests deeper than {MAX_DEPTH} levels", event.start_mark)
        self._grow(event)
        path = self._child_path(event)
        if not self.stack or type(self.stack[-1].value) is list:
            # A block mapping starts at its first key: its own key, or its
            # list dash, is the better place to point at.
            self.doc.value_marks[path] = _position(event.start_mark)
        self.stack.append(_Open(value, path, event.anchor, self.size - 1))

    def _close(self, _event: yaml.Event | None = None) -> None:
        done = self.stack.pop()
        self._attach(done.value, done.path)
        if done.anchor:
            self.anchors[done.anchor] = (done.value, self.size - done.size_before)

    def _alias(self, event: yaml.AliasEvent) -> None:
        if event.anchor not in self.anchors:
            raise YamlProblem(f"unknown alias `*{event.anchor}`", event.start_mark)
        value, size = self.anchors[event.anchor]
        self._grow(event, size)
        self._add(value, event, None, size)

    def _add(self, value: Any, event: Any, anchor: str | None, size: int) -> None:
        top = self.stack[-1] if self.stack else None
        if top is not None and top.key is None and type(top.value) is dict:
            top.key = self._key(value, event)
            top.key_mark = _position(event.start_mark)
            return
        path = self._child_path(event)
        self.doc.value_marks.setdefault(path, _position(event.start_mark))
        self._attach(value, path)
        if anchor:
            self.anchors[anchor] = (value, size)

    def _child_path(self, event: Any) -> DocPath:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if type(top.value) is list:
            return top.path + (len(top.value),)
        if top.key is None:
            raise YamlProblem("a mapping key must be plain text", event.start_mark)
        return top.path + (top.key,)

    def _attach(self, value: Any, path: DocPath) -> None:
        if not self.stack:
            self.result = value
            return
        top = self.stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
            return
        top.value[str(top.key)] = value
        self.doc.key_marks[path] = top.key_mark or (1, 1)
        top.key = None

    def _key(self, value: Any, event: Any) -> str:
        if isinstance(value, (dict, list)) or type(event) is yaml.AliasEvent:
            raise YamlProblem("a mapping key must be plain text", event.start_mark)
        if value == "<<" and getattr(event, "implicit", (False,))[0]:
            raise YamlProblem("merge keys (`<<`) are not supported", event.start_mark)
        key = str(value)
        top = self.stack[-1]
        if key in top.value:
            first = self.doc.key_marks[top.path + (key,)]
            raise YamlProblem(
                f"duplicate key `{key}` (first given on line {first[0]}); YAML "
                "keeps only one, so say it once",
                event.start_mark,
            )
        return key

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return event.value  # quoted: always text
            tag = _plain_tag(event.value)
        if tag in _TEXT_TAGS:
            return event.value
        _check_tag(tag, event.start_mark, *_SCALAR_TAGS)
        if tag == "tag:yaml.org,2002:int" and not _DECIMAL.match(event.value):
            raise YamlProblem(
                f"`{event.value}` is a YAML 1.1 number form (octal, hex, binary, "
                "base 60 or with _) that reads differently in other tools; write "
                "a plain decimal number, or quote it if it is text",
                event.start_mark,
            )
        node = yaml.ScalarNode(tag, event.value)
        if tag == "tag:yaml.org,2002:float":
            self.doc.has_float = True
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError) as err:
            raise YamlProblem(f"cannot read value: {err}", event.start_mark) from err


_RESOLVER = yaml.resolver.Resolver()
_DECIMAL = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")


@lru_cache(maxsize=65536)
def _plain_tag(value: str) -> str:
    """The tag YAML 1.1 gives an unquoted scalar (int, bool, null, str...).

    Cached: keys and common values repeat thousands of times in a big tree.
    """
    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))


def _check_tag(tag: str | None, mark: Mark, *allowed: str) -> None:
    if tag is not None and tag not in allowed:
        raise YamlProblem(
            f"the tag `{tag}` is not allowed; use plain YAML values", mark
        )


def _position(mark: Mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def problem_from(path: str, err: YamlProblem) -> Problem:
    """A ``Problem`` for ``path`` from a ``YamlProblem``."""
    if err.mark is None:
        return Problem(Location(path), str(err))
    line, col = _position(err.mark)
    return Problem(Location(path, line, col), str(err))
