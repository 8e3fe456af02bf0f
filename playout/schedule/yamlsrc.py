"""Read operator YAML safely, keeping the line and column of every key and value.

Stricter than ``yaml.safe_load``:

* files over :data:`MAX_BYTES` are refused before they are read;
* text must be UTF-8 (a byte-order mark is allowed);
* only plain data: no tags beyond the standard ones, no duplicate keys;
* plain scalars stay strings (``05:30`` is not the YAML 1.1 base-60 number 330, ``no`` is not
  ``False``); the schema model converts them, so the operator sees one set of rules;
* anchors and aliases work, but expansion is bounded by :data:`MAX_NODES` (no alias bombs),
  and nesting by :data:`MAX_DEPTH`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from playout.i18n import Msg, msg
from playout.problems import Location, Problem, error

MAX_BYTES = 1024 * 1024
MAX_NODES = 50_000
MAX_DEPTH = 40

PathKey = tuple[str | int, ...]

_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {
    _STD + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")
}
_NULLS = {"", "~", "null", "Null", "NULL"}


@dataclass
class Document:
    """One YAML file as plain data plus where each piece came from."""

    file: str
    data: Any = None
    key_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    value_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: PathKey, *, key: bool = False) -> Location:
        """The location of ``path``, or of its nearest enclosing value that has one."""
        marks = self.key_marks if key else self.value_marks
        p = tuple(path)
        if key and p in marks:
            line, col = marks[p]
            return Location(self.file, line, col)
        while p:
            if p in self.value_marks:
                line, col = self.value_marks[p]
                return Location(self.file, line, col)
            p = p[:-1]
        line, col = self.value_marks.get((), (1, 1))
        return Location(self.file, line, col)


class _TooBig(Exception):
    pass


class _Converter:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.count = 0
        self.problems: list[Problem] = []

    def loc(self, node: Node) -> Location:
        return Location(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: Node, path: PathKey, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(
                msg(
                    "the file expands to more than {n} values "
                    "(anchors and aliases that repeat each other?)",
                    n=MAX_NODES,
                )
            )
        if depth > MAX_DEPTH:
            raise _TooBig(msg("values are nested more than {n} levels deep", n=MAX_DEPTH))
        self.doc.value_marks.setdefault(
            path, (node.start_mark.line + 1, node.start_mark.column + 1)
        )
        if node.tag not in _ALLOWED_TAGS and not (
            isinstance(node, ScalarNode) and node.tag == _STD + "binary"
        ):
            self.problems.append(
                error(
                    self.loc(node),
                    msg('the YAML tag "{tag}" is not allowed', tag=node.tag),
                    msg(
                        "remove the tag (the word starting with '!'); schedules hold plain "
                        "values only"
                    ),
                )
            )
            return None
        if isinstance(node, ScalarNode):
            if node.style is None and node.value in _NULLS:
                return None
            return node.value
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.convert_mapping(node, path, depth)
        raise _TooBig(f"unexpected YAML node {type(node).__name__}")  # pragma: no cover

    def convert_mapping(self, node: MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[tuple[str, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _STD + "merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, MappingNode):
                        self.problems.append(
                            error(self.loc(src), msg("'<<' must name a mapping (key: value pairs)"))
                        )
                        continue
                    merged.extend(self.convert_mapping(src, path, depth + 1).items())
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    error(
                        self.loc(key_node), msg("a key must be a plain word, not a list or mapping")
                    )
                )
                continue
            key = key_node.value
            if key in result:
                first = self.doc.key_marks[(*path, key)]
                self.problems.append(
                    error(
                        self.loc(key_node),
                        msg('the key "{key}" appears twice in the same mapping', key=key),
                        msg("it was first given on line {line}; keep one of them", line=first[0]),
                    )
                )
                continue
            self.doc.key_marks[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        for key, value in merged:
            result.setdefault(key, value)
        return result


# what PyYAML says, and what it means to someone editing a schedule in Notepad
_YAML_SAYS: tuple[tuple[str, Msg], ...] = (
    ("found character '\\t'", msg("there is a Tab character here; indent with spaces, not Tab")),
    (
        "mapping values are not allowed",
        msg(
            "a colon (:) here cannot be read: if the value holds ': ', put it in quotes; "
            "otherwise this line is indented differently from the lines above it"
        ),
    ),
    ("could not find expected ':'", msg("a key without its ':' (write it as key: value)")),
    (
        "did not find expected key",
        msg("this line is indented differently from the lines above it"),
    ),
    ("expected <block end>", msg("this line is indented differently from the lines above it")),
    ("found undefined alias", msg("a '*' refers to an anchor ('&name') that is not defined")),
    ("did not find expected ',' or ']'", msg("a list opened with '[' is not closed with ']'")),
    ("did not find expected ',' or '}'", msg("a mapping opened with '{{' is not closed with '}}'")),
    ("found unexpected end of stream", msg("a quote (\" or ') is opened but never closed")),
    (
        "did not find expected '-' indicator",
        msg("a list item ('- ') is indented differently from the items above it"),
    ),
)


_UNCLOSED = {
    "}": msg(
        "something inside the {{ }} that starts on line {line} cannot be read: check that every "
        "quote is closed, that the items are separated by commas and that it ends with '}}'"
    ),
    "]": msg(
        "something inside the [ ] that starts on line {line} cannot be read: check that every "
        "quote is closed, that the items are separated by commas and that it ends with ']'"
    ),
}


def yaml_words(exc: yaml.MarkedYAMLError) -> Msg:
    """A YAML syntax error in an operator's words; PyYAML's own text when it is none of the
    usual ones."""
    said = f"{exc.context or ''} {exc.problem or ''}"
    started = exc.context_mark
    for bracket, words in _UNCLOSED.items():
        if f"expected ',' or '{bracket}'" in said and started is not None:
            return Msg(words.template, (("line", started.line + 1),))
    for found, words in _YAML_SAYS:
        if found in said:
            return words
    what = exc.problem or "the YAML cannot be read"
    if exc.context and started is not None:
        return msg(
            "malformed YAML: {what} ({context} started on line {line})",
            what=what,
            context=exc.context,
            line=started.line + 1,
        )
    return msg("malformed YAML: {what}", what=what)


def _decode(raw: bytes, file: str) -> tuple[str | None, Problem | None]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, error(
            Location(file, line, col),
            msg(
                "the file is not UTF-8 text (byte 0x{byte} cannot be read)",
                byte=f"{raw[exc.start]:02x}",
            ),
            msg("save the file as UTF-8 (in Notepad: Save As -> Encoding: UTF-8)"),
        )


def parse_text(text: str, file: str) -> tuple[Document, list[Problem]]:
    """Parse YAML text into a :class:`Document`. Problems are returned, never raised."""
    doc = Document(file)
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return doc, [
            error(
                Location(file, line, col),
                yaml_words(exc),
                msg("check the indentation and that quotes and brackets are closed"),
            )
        ]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ...)
        before = text[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return doc, [
            error(
                Location(file, line, col),
                msg(
                    "the file holds a character YAML does not allow (U+{code})",
                    code=f"{ord(char):04X}",
                ),
                msg("delete it (it is often left by a broken copy or a crashed editor)"),
            )
        ]
    except yaml.YAMLError as exc:
        return doc, [error(Location(file, 1, 1), msg("malformed YAML: {detail}", detail=str(exc)))]
    except RecursionError:
        return doc, [
            error(
                Location(file, 1, 1),
                msg("values are nested more than {n} levels deep", n=MAX_DEPTH),
            )
        ]
    if len(nodes) > 1:
        second = nodes[1]
        return doc, [
            error(
                Location(file, second.start_mark.line + 1, second.start_mark.column + 1),
                msg("the file holds more than one YAML document ('---')"),
                msg("keep one document per file"),
            )
        ]
    if not nodes:
        doc.data = None
        return doc, []
    conv = _Converter(doc)
    try:
        doc.data = conv.convert(nodes[0], (), 0)
    except _TooBig as exc:
        return Document(file), [error(Location(file, 1, 1), exc.args[0], msg("simplify the file"))]
    return doc, conv.problems


def load_file(path: Path, file: str | None = None) -> tuple[Document, list[Problem]]:
    """Read and parse one YAML file; ``file`` is how the path is shown to the operator."""
    shown = file or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return Document(shown), [
                error(
                    Location(shown),
                    msg(
                        "the file is too large ({size} KiB; at most {most} KiB)",
                        size=size // 1024,
                        most=MAX_BYTES // 1024,
                    ),
                    msg(
                        "a schedule or playlist is a few KiB; split it or check it is the right "
                        "file"
                    ),
                )
            ]
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return Document(shown), [
            error(
                Location(shown),
                msg("cannot read the file: {error}", error=exc.strerror or str(exc)),
            )
        ]
    if len(raw) > MAX_BYTES:
        return Document(shown), [error(Location(shown), msg("the file is too large"))]
    text, problem = _decode(raw, shown)
    if problem is not None or text is None:
        return Document(shown), [problem] if problem else []
    return parse_text(text, shown)


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)
