"""Safe YAML reading that keeps the position of every key.

The reader builds plain Python values (dict, list, str, int, float, bool, None) from libyaml's
event stream with an explicit stack, so that:

- every mapping key and sequence item gets a `line:column` for error messages;
- nesting depth and alias expansion are bounded before they can cost memory or time (an
  "alias bomb" is refused as soon as its expanded size passes the limit);
- only the YAML 1.2 core schema is understood: `yes`/`no`/`on`/`off` stay strings, and
  application tags (`!!python/object`, `!Ref`) are refused instead of being constructed.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable
from typing import Any

import yaml
from msgspec import Struct, field
from msgspec.structs import replace

from aimsync.core.fields import FieldPath

try:  # libyaml is much faster; the pure-Python parser gives the same events.
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader as _PyReader
    from yaml.scanner import Scanner as _PyScanner

    class _Parser(_PyReader, _PyScanner, _PyParser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            _PyReader.__init__(self, stream)
            _PyScanner.__init__(self)
            _PyParser.__init__(self)


TAG_PREFIX = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{TAG_PREFIX}{t}" for t in ("str", "int", "float", "bool", "null")}
_MAP_TAGS = {None, "!", f"{TAG_PREFIX}map"}
_SEQ_TAGS = {None, "!", f"{TAG_PREFIX}seq"}

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_DEC = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_NUMBER_START = re.compile(r"^[-+.0-9]")
MAX_NUMBER_LENGTH = 100
_FLOAT_SPECIAL = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


class Position(Struct, frozen=True, order=True):
    line: int  # 1-based
    column: int  # 1-based


class YamlLimits(Struct, frozen=True):
    max_depth: int = 64
    max_nodes_per_document: int = 50_000  # after alias expansion
    max_bytes_per_document: int = 16 * 1024 * 1024  # of scalars, after alias expansion
    max_documents_per_file: int = 1_000


class YamlDocument:
    """One document of a file: its value and where each of its fields is written.

    A document read without positions (`read_yaml_values`) finds them the first time they
    are asked for, by reading its file's text again with positions: a valid document is
    seldom asked (for a message, or a diff's line numbers). Its value may be released once
    the validated specs hold what later stages use, and is then read again if asked for."""

    __slots__ = ("_number", "_positions", "_source", "_value", "index", "start")

    def __init__(
        self, index: int, start: Position, value: object,
        positions: dict[FieldPath, Position] | None = None, *,
        source: _Reread | None = None, number: int = 0,
    ) -> None:
        self.index = index  # 0-based position of the document in its file
        self.start = start
        self._value = value
        self._positions = positions if positions is not None or source else {}
        self._source = source  # the file's text, to read this document again from
        self._number = number  # which of the documents read from that text

    @property
    def value(self) -> object:
        if self._value is _RELEASED:
            assert self._source is not None
            self._value = self._source.document(self._number).value
        return self._value

    @value.setter
    def value(self, value: object) -> None:
        self._value = value

    @property
    def positions(self) -> dict[FieldPath, Position]:
        if self._positions is None:
            assert self._source is not None
            self._positions = self._source.document(self._number).positions
        return self._positions

    def release(self) -> None:
        """Lets go of the value when it can be read again from its file's text."""
        if self._source is not None:
            self._value = _RELEASED

    def position_of(self, path: FieldPath) -> tuple[Position, FieldPath]:
        """The position of `path`, or of its nearest written ancestor (for missing fields)."""
        positions = self.positions
        for cut in range(len(path), 0, -1):
            pos = positions.get(path[:cut])
            if pos is not None:
                return pos, path[:cut]
        return self.start, ()

    def __eq__(self, other: object) -> bool:  # as the dataclass it was: by value
        if not isinstance(other, YamlDocument):
            return NotImplemented
        return (self.index, self.start, self.value, self.positions) == (
            other.index, other.start, other.value, other.positions)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return (f"YamlDocument(index={self.index!r}, start={self.start!r}, "
                f"value={self.value!r})")


_RELEASED = object()  # the value was let go (see YamlDocument.release)


class YamlProblem(Struct, frozen=True):
    position: Position
    message: str
    path: FieldPath = ()  # the field the problem is in, when known


class _Abort(Exception):
    def __init__(self, problem: YamlProblem) -> None:
        self.problem = problem


# libyaml also breaks lines at NEL, LS and PS; editors and YAML 1.2 do not.
_EXTRA_BREAKS = re.compile("[\u0085\u2028\u2029]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _Positions:
    """libyaml marks -> positions as an editor shows them."""

    def __init__(self, text: str) -> None:
        # libyaml puts end-of-stream problems on a line after the last one; clamp to it.
        lines = _LINE_BREAK.split(text)
        self.last_line = len(lines)
        self.last_column = len(lines[-1]) + 1
        self.starts: list[int] | None = None
        if _EXTRA_BREAKS.search(text):
            self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def of_index(self, index: int) -> Position:
        assert self.starts is not None
        line = bisect.bisect_right(self.starts, index) - 1
        return Position(line + 1, index - self.starts[line] + 1)

    def __call__(self, mark: object) -> Position:
        if self.starts is not None:
            position = self.of_index(int(getattr(mark, "index", 0)))
        else:
            line = int(getattr(mark, "line", 0)) + 1
            position = Position(line, int(getattr(mark, "column", 0)) + 1)
        if position.line > self.last_line:
            return Position(self.last_line, self.last_column)
        return position


def _index_position(text: str, index: int) -> Position:
    line = text.count("\n", 0, index)
    return Position(line + 1, index - (text.rfind("\n", 0, index) + 1) + 1)





def _resolve_plain(text: str, position: Position) -> object:
    """A plain (unquoted, untagged) scalar under the YAML 1.2 core schema."""
    if len(text) > MAX_NUMBER_LENGTH and _NUMBER_START.match(text) and (
        _INT_DEC.match(text) or _FLOAT.match(text) or _INT_HEX.match(text)
        or _INT_OCT.match(text)
    ):
        raise _Abort(
            YamlProblem(position, f"number with more than {MAX_NUMBER_LENGTH} characters")
        )
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT_DEC.match(text):
        return int(text, 10)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        number = float(text)
        if not math.isfinite(number):
            raise _Abort(
                YamlProblem(position, f"{text!r} is too large to be represented in JSON")
            )
        return number
    if _FLOAT_SPECIAL.match(text):
        raise _Abort(
            YamlProblem(position, f"{text!r} (infinity or NaN) cannot be represented in JSON")
        )
    return text


def _construct_tagged(tag: str, text: str, position: Position) -> object:
    kind = tag[len(TAG_PREFIX) :]
    if kind == "str":
        return text
    value = _resolve_plain(text, position)
    expected: dict[str, type | tuple[type, ...]] = {
        "int": int,
        "float": (int, float),
        "bool": bool,
        "null": type(None),
    }
    wanted = expected[kind]
    if isinstance(value, wanted) and not (kind in ("int", "float") and isinstance(value, bool)):
        return float(value) if kind == "float" else value  # type: ignore[arg-type]
    raise _Abort(YamlProblem(position, f"{text!r} is not a valid !!{kind} value"))


class _Frame(Struct):
    container: dict[str, object] | list[object]
    path: FieldPath
    anchor: str | None
    start: Position
    nodes: int = 1
    size_bytes: int = 0
    pending_key: str | None = None
    pending_key_pos: Position | None = None
    merges: list[dict[str, object]] = field(default_factory=list)


class _DocumentBuilder:
    def __init__(
        self, index: int, start: Position, limits: YamlLimits, positions: _Positions
    ) -> None:
        self.limits = limits
        self.pos = positions
        self.document = YamlDocument(index=index, start=start, value=None)
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[object, int, int]] = {}  # value, nodes, bytes
        self.nodes = 0
        self.size_bytes = 0

    # -- adding values -------------------------------------------------------------------
    def _count(self, n: int, size_bytes: int, position: Position) -> None:
        self.nodes += n
        self.size_bytes += size_bytes
        if self.size_bytes > self.limits.max_bytes_per_document:
            raise _Abort(
                YamlProblem(
                    position,
                    f"document is too large: more than {self.limits.max_bytes_per_document} "
                    "bytes of values after expanding aliases (an alias bomb?)",
                )
            )
        if self.nodes > self.limits.max_nodes_per_document:
            raise _Abort(
                YamlProblem(
                    position,
                    f"document is too large: more than {self.limits.max_nodes_per_document} "
                    "values after expanding aliases (an alias bomb?)",
                )
            )

    def _next_path(self) -> FieldPath:
        """Path of the value about to be added (nothing recorded)."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container))
        return (*top.path, top.pending_key) if top.pending_key is not None else top.path

    def _child_path(self, position: Position) -> FieldPath:
        """Path of the value about to be added; records its position."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            path = (*top.path, len(top.container))
            self.document.positions[path] = position
            return path
        assert top.pending_key is not None and top.pending_key_pos is not None
        path = (*top.path, top.pending_key)
        self.document.positions[path] = top.pending_key_pos
        return path

    def _attach(self, value: object, size: int, size_bytes: int, position: Position) -> None:
        if not self.stack:
            self.document.value = value
            return
        top = self.stack[-1]
        top.nodes += size
        top.size_bytes += size_bytes
        if isinstance(top.container, list):
            top.container.append(value)
            return
        key = top.pending_key
        assert key is not None
        top.pending_key = None
        if key == "<<":
            self._merge(top, value, position)
            return
        top.container[key] = value

    def _merge(self, frame: _Frame, value: object, position: Position) -> None:
        sources = value if isinstance(value, list) else [value]
        for source in sources:
            if not isinstance(source, dict):
                raise _Abort(YamlProblem(position, "a merge key (<<) must refer to a mapping"))
            frame.merges.append(source)

    def _expects_key(self) -> bool:
        return bool(
            self.stack
            and isinstance(self.stack[-1].container, dict)
            and self.stack[-1].pending_key is None
        )

    def _set_key(self, key: str, position: Position) -> None:
        top = self.stack[-1]
        assert isinstance(top.container, dict)
        if key in top.container:
            first = self.document.positions.get((*top.path, key))
            where = f" (first at line {first.line})" if first else ""
            raise _Abort(YamlProblem(position, f"duplicate key {key!r}{where}"))
        top.pending_key = key
        top.pending_key_pos = position

    # -- events --------------------------------------------------------------------------
    def scalar(self, event: yaml.ScalarEvent) -> None:
        position = self.pos(event.start_mark)
        if self._expects_key():
            self._set_key(event.value, position)
            return
        tag = event.tag
        try:
            if tag is None or tag == "!":
                plain = event.implicit[0] and tag is None
                value = _resolve_plain(event.value, position) if plain else event.value
            elif tag in _SCALAR_TAGS:
                value = _construct_tagged(tag, event.value, position)
            else:
                raise _Abort(YamlProblem(position, f"unsupported YAML tag {tag!r}"))
        except _Abort as abort:  # name the field the value was written for
            raise _Abort(replace(abort.problem, path=self._next_path())) from None
        size_bytes = len(event.value)
        self._count(1, size_bytes, position)
        self._child_path(position)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1, size_bytes)
        self._attach(value, 1, size_bytes, position)

    def alias(self, event: yaml.AliasEvent) -> None:
        position = self.pos(event.start_mark)
        if event.anchor not in self.anchors:
            raise _Abort(YamlProblem(position, f"unknown or recursive alias *{event.anchor}"))
        value, size, size_bytes = self.anchors[event.anchor]
        if self._expects_key():
            if not isinstance(value, str):
                raise _Abort(YamlProblem(position, "an alias used as a key must be a string"))
            self._set_key(value, position)
            return
        self._count(size, size_bytes, position)
        self._child_path(position)
        self._attach(value, size, size_bytes, position)

    def start_collection(self, event: yaml.CollectionStartEvent) -> None:
        position = self.pos(event.start_mark)
        if self._expects_key():
            raise _Abort(YamlProblem(position, "a mapping key must be a plain string"))
        is_map = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
            raise _Abort(YamlProblem(position, f"unsupported YAML tag {event.tag!r}"))
        if len(self.stack) >= self.limits.max_depth:
            raise _Abort(
                YamlProblem(
                    position, f"nesting is deeper than {self.limits.max_depth} levels"
                )
            )
        self._count(1, 0, position)
        path = self._child_path(position)
        container: dict[str, object] | list[object] = {} if is_map else []
        self.stack.append(_Frame(container, path, event.anchor, position))

    def end_collection(self) -> None:
        frame = self.stack.pop()
        if isinstance(frame.container, dict):
            for source in frame.merges:
                for key, value in source.items():
                    frame.container.setdefault(key, value)
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.container, frame.nodes, frame.size_bytes)
        self._attach(frame.container, frame.nodes, frame.size_bytes, frame.start)


def read_yaml_documents(
    text: str, limits: YamlLimits | None = None
) -> tuple[list[YamlDocument], YamlProblem | None]:
    """All documents of `text`; on the first problem, the documents before it and the problem.

    Empty documents (only comments, or a bare `---`) are dropped.
    """
    limits = limits or YamlLimits()
    positions = _Positions(text)
    documents: list[YamlDocument] = []
    parser = _Parser(text)
    builder: _DocumentBuilder | None = None
    index = 0
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.DocumentStartEvent):
                if index >= limits.max_documents_per_file:
                    raise _Abort(
                        YamlProblem(
                            positions(event.start_mark),
                            f"more than {limits.max_documents_per_file} documents in one file",
                        )
                    )
                builder = _DocumentBuilder(index, positions(event.start_mark), limits, positions)
                index += 1
            elif isinstance(event, yaml.DocumentEndEvent):
                assert builder is not None
                if builder.document.value is not None:
                    documents.append(builder.document)
                builder = None
            elif isinstance(event, yaml.ScalarEvent):
                assert builder is not None
                builder.scalar(event)
            elif isinstance(event, yaml.AliasEvent):
                assert builder is not None
                builder.alias(event)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                assert builder is not None
                builder.start_collection(event)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                assert builder is not None
                builder.end_collection()
    except _Abort as abort:
        return documents, abort.problem
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = positions(mark) if mark is not None else Position(1, 1)
        detail = exc.problem or "invalid YAML"
        context = ""
        if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
            start = positions(exc.context_mark)
            context = f" ({exc.context} that starts at line {start.line}, column {start.column})"
        elif exc.context:
            context = f" ({exc.context})"
        return documents, YamlProblem(position, f"YAML syntax error: {detail}{context}")
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        # The position is a byte offset into the UTF-8 text.
        index = len(text.encode()[: exc.position].decode(errors="ignore"))
        where = positions.of_index(index) if positions.starts else _index_position(text, index)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
        return documents, YamlProblem(
            where, f"character U+{code:04X} is not allowed in YAML (a control character?)"
        )
    except yaml.YAMLError as exc:
        return documents, YamlProblem(Position(1, 1), f"YAML error: {exc}")
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()
    return documents, None


# -- without positions -------------------------------------------------------------------
# Most files are valid and nobody asks where their fields are: reading them without
# positions (no mark per key, no path per value) is several times faster. Anything this
# reader does not handle the way the full reader does (anchors, aliases, tags, merge keys,
# duplicate keys, limits, errors) sends the whole text to the full reader instead, so both
# give the same documents and problems.

_ScalarEvent = yaml.ScalarEvent
_MappingStart = yaml.MappingStartEvent
_SequenceStart = yaml.SequenceStartEvent
_MappingEnd = yaml.MappingEndEvent
_SequenceEnd = yaml.SequenceEndEvent
_DocumentStart = yaml.DocumentStartEvent
_DocumentEnd = yaml.DocumentEndEvent
_StreamEnd = yaml.StreamEndEvent
_NOWHERE = Position(1, 1)  # a problem is found again by the full reader, with its place
_PLAIN_REMEMBERED = 100_000
_plain_values: dict[str, object] = {}  # plain scalar -> its value (the same in every file)


class _Full(Exception):
    """The text needs the full reader."""


def _plain_value(text: str) -> object:
    try:
        return _plain_values[text]
    except KeyError:
        pass
    try:
        value = _resolve_plain(text, _NOWHERE)
    except _Abort:
        raise _Full from None
    if len(_plain_values) >= _PLAIN_REMEMBERED:
        _plain_values.clear()
    _plain_values[text] = value
    return value


def _start_position(text: str, mark: object) -> Position:
    line = int(getattr(mark, "line", 0)) + 1
    if line > text.count("\n") + 1:  # maybe past the last line: as the full reader clamps
        return _Positions(text)(mark)
    return Position(line, int(getattr(mark, "column", 0)) + 1)


Found = list[tuple[int, Position, object, dict[FieldPath, Position] | None]]


def _unplaced(mark: object) -> Position:
    return _NOWHERE  # never asked: positions are recorded only with `positions_of`


def _values(
    text: str, limits: YamlLimits, positions_of: _Positions | None = None,
    plain: Callable[[str], object] = _plain_value,
) -> Found:
    """(index, start, value, positions) of every non-empty document; positions only with
    `positions_of` (reading again a text this read before: the full reader's positions,
    without its checks for what this refuses anyway). `plain`: what a plain scalar means
    (YAML 1.2's core schema unless told). Raises _Full."""
    if _EXTRA_BREAKS.search(text):
        raise _Full  # lines are counted differently: the full reader places them
    found: Found = []
    place: Callable[[object], Position] = positions_of or _unplaced
    parser = _Parser(text)
    get = parser.get_event
    max_depth, max_nodes = limits.max_depth, limits.max_nodes_per_document
    max_bytes, max_documents = limits.max_bytes_per_document, limits.max_documents_per_file
    # The open collections: the innermost one, its pending key (a mapping's), and the outer
    # ones as they were when it opened. With positions: the innermost one's path, and where
    # the pending key is written (a mapping's value is placed at its key, as the full reader
    # places it).
    top: dict[str, object] | list[object] | None = None
    key: str | None = None
    outer: list[tuple[dict[str, object] | list[object] | None, FieldPath]] = []
    path: FieldPath = ()
    key_at = _NOWHERE
    positions: dict[FieldPath, Position] | None = None
    root: object = None
    start = _NOWHERE
    index = nodes = size = 0
    try:
        while True:
            event: Any = get()  # told apart by its exact type below
            kind = type(event)
            if kind is _ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    raise _Full
                text_value: str = event.value
                if type(top) is dict:
                    if key is None:
                        if text_value in top or text_value == "<<":
                            raise _Full  # a duplicate (an error) or a merge
                        key = text_value
                        if positions is not None:
                            key_at = place(event.start_mark)
                        continue
                    value = plain(text_value) if event.implicit[0] else text_value
                    if positions is not None:
                        positions[(*path, key)] = key_at
                    top[key] = value
                    key = None
                else:
                    value = plain(text_value) if event.implicit[0] else text_value
                    if top is None:
                        root = value
                    else:
                        if positions is not None:
                            positions[(*path, len(top))] = place(event.start_mark)
                        top.append(value)  # type: ignore[union-attr]
                nodes += 1
                size += len(text_value)
                if nodes > max_nodes or size > max_bytes:
                    raise _Full
            elif kind is _MappingStart or kind is _SequenceStart:
                if event.anchor is not None or event.tag is not None:
                    raise _Full
                if len(outer) >= max_depth or (type(top) is dict and key is None):
                    raise _Full  # too deep, or a collection as a key
                nodes += 1
                if nodes > max_nodes:
                    raise _Full
                opened: dict[str, object] | list[object] = {} if kind is _MappingStart else []
                inner: FieldPath = ()
                if top is None:
                    root = opened
                elif type(top) is dict:
                    assert key is not None
                    if positions is not None:
                        inner = (*path, key)
                        positions[inner] = key_at
                    top[key] = opened
                else:
                    if positions is not None:
                        inner = (*path, len(top))
                        positions[inner] = place(event.start_mark)
                    top.append(opened)  # type: ignore[union-attr]
                outer.append((top, path))
                top, key, path = opened, None, inner
            elif kind is _MappingEnd or kind is _SequenceEnd:
                top, path = outer.pop()
                key = None
            elif kind is _DocumentStart:
                if index >= max_documents:
                    raise _Full
                start = (_start_position(text, event.start_mark) if positions_of is None
                         else place(event.start_mark))
                index += 1
                root, nodes, size = None, 0, 0
                positions = None if positions_of is None else {}
            elif kind is _DocumentEnd:
                if root is not None:
                    found.append((index - 1, start, root, positions))
            elif kind is _StreamEnd or event is None:
                return found
            elif kind is not yaml.StreamStartEvent:
                raise _Full  # an alias
    except yaml.YAMLError:
        raise _Full from None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()


# -- what PyYAML wrote ----------------------------------------------------------------------
# aimsync's own files (status/) are written by PyYAML, whose YAML 1.1 resolver decides which
# strings it leaves plain: `0o17`, `1e3` or `-.5` stay plain strings there, and would be read
# as numbers under YAML 1.2. Read with PyYAML's resolver and constructor for plain scalars,
# they mean what PyYAML's own loader makes of them.

_yaml11_resolver = yaml.resolver.Resolver()
_yaml11_constructor = yaml.constructor.SafeConstructor()
_yaml11_values: dict[str, object] = {}  # plain scalar -> its value under YAML 1.1
_STR_TAG = f"{TAG_PREFIX}str"


def _yaml11_plain_value(text: str) -> object:
    try:
        return _yaml11_values[text]
    except KeyError:
        pass
    tag = _yaml11_resolver.resolve(  # type: ignore[no-untyped-call]
        yaml.ScalarNode, text, (True, False))
    value: object = text
    if tag != _STR_TAG:
        construct = _yaml11_constructor.yaml_constructors.get(tag)
        if construct is None:  # `=` (a value key): not read the same here
            raise _Full
        try:
            value = construct(_yaml11_constructor, yaml.ScalarNode(tag, text))
        except (yaml.YAMLError, ValueError, OverflowError):
            raise _Full from None
    if len(_yaml11_values) >= _PLAIN_REMEMBERED:
        _yaml11_values.clear()
    _yaml11_values[text] = value
    return value


def read_pyyaml_output(text: str, limits: YamlLimits | None = None) -> list[object] | None:
    """The non-empty documents of a file PyYAML wrote, as PyYAML's safe loader reads them,
    several times faster; None when the text holds what only that loader reads the same
    (anchors, aliases, tags, merge or duplicate keys, a collection as a key, a document past
    the limits, a YAML error). A key is the string written, as every key of aimsync's files
    is (PyYAML's loader would read a plain `1:` as a number)."""
    try:
        return [value for _, _, value, _ in _values(
            text, limits or YamlLimits(), plain=_yaml11_plain_value)]
    except _Full:
        return None


class _Reread:
    """A file's text, read again with positions when a document of it is first asked for
    them (or for its released value); then its documents are kept instead of the text."""

    __slots__ = ("_documents", "_limits", "_text")

    def __init__(self, text: str, limits: YamlLimits) -> None:
        self._text: str | None = text
        self._limits = limits
        self._documents: list[YamlDocument] = []

    def document(self, number: int) -> YamlDocument:
        text = self._text  # read once: another thread may be reading it again too
        if text is not None:
            try:
                self._documents = [
                    YamlDocument(index, start, value, positions)
                    for index, start, value, positions in _values(
                        text, self._limits, _Positions(text))
                ]
            except _Full:  # not expected: the text was read this way before
                self._documents, _ = read_yaml_documents(text, self._limits)
            self._text = None
        return self._documents[number]


def read_yaml_values(
    text: str, limits: YamlLimits | None = None
) -> tuple[list[YamlDocument], YamlProblem | None]:
    """`read_yaml_documents`, faster: the same documents and problem, but positions are
    found only when a document is first asked for them."""
    limits = limits or YamlLimits()
    try:
        found = _values(text, limits)
    except _Full:
        return read_yaml_documents(text, limits)
    source = _Reread(text, limits)
    return [
        YamlDocument(index, start, value, source=source, number=number)
        for number, (index, start, value, _) in enumerate(found)
    ], None
