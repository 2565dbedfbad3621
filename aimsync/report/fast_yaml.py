"""Block YAML of manifests, as `to_yaml` (PyYAML with libyaml's emitter) writes it, in a
fraction of the time: PyYAML builds a node per value in Python, which dominates the output of
thousands of objects. The structure (mappings, sequences, PyYAML's indentation) is written
here; every distinct scalar is written once and remembered: by PyYAML itself, unless it is a
string PyYAML is sure to write as it is (`_plain`). A multi-line string is written by PyYAML
as a mapping's value once: the literal block it gets there is the same at any depth but for
its indentation, which is added here (a double-quoted string is the same anywhere). A value
this cannot be sure of (a key that is no plain one-line scalar, a line break other than
\\n, a block that keeps its trailing breaks and so leaves the document open) makes the
caller fall back to PyYAML for the whole document, so the output is always PyYAML's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

import yaml

_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: faster


class _ManifestDumper(_Base):  # type: ignore[valid-type,misc]
    """Block style for multi-line strings (the profile YAML in ConfigMaps stays readable).
    No anchors and aliases: manifests share their constant parts (render), and kubectl's
    readers of this output expect each object written out where it stands."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    text = str(value)  # typed values (StrEnum) are written as the strings they are
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ManifestDumper.add_representer(str, _str_representer)
_ManifestDumper.add_multi_representer(StrEnum, _str_representer)


def to_yaml(manifest: object, *, sort_keys: bool = False) -> str:
    return yaml.dump(
        manifest,
        Dumper=_ManifestDumper,
        sort_keys=sort_keys,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
    )


_LONGEST_KEY = 120  # bytes: libyaml writes a key of more than 128 as `? key`
# Far below the width (100,000) even after the deepest indentation and longest key: no
# value is ever folded, so its text does not depend on where it stands.
_LONGEST_VALUE = 10_000
_BREAKS = "\n\r\x85\u2028\u2029"  # libyaml's line breaks
_OTHER_BREAKS = "\r\x85\u2028\u2029"  # in a literal block, indented by libyaml after them
_REMEMBERED = 500_000  # distinct scalars kept between documents (then forgotten at once)


class _NotSimple(Exception):
    """A value whose YAML depends on its context."""


class _Literal:
    """A multi-line string as a literal block: its header (`|`, `|-`, `|2`...) and its lines
    relative to the block's indentation ("" for an empty line, which libyaml leaves
    unindented), written out once per indentation it is met at."""

    __slots__ = ("header", "lines", "placed")

    def __init__(self, header: str, lines: list[str]) -> None:
        self.header = header
        self.lines = lines
        self.placed: dict[str, str] = {}

    def at(self, indent: str) -> str:
        """The block (up to its last line break) for a mapping or sequence at `indent`:
        libyaml indents its content one step (2) deeper."""
        text = self.placed.get(indent)
        if text is None:
            pad = indent + "  "
            body = "".join(f"{pad}{line}\n" if line else "\n" for line in self.lines)
            text = self.placed[indent] = f"{self.header}\n{body}"
        return text


_strings: dict[str, str] = {}  # one-line string -> its YAML
_literals: dict[str, _Literal | str] = {}  # multi-line string -> its block or quoted YAML
_keys: dict[str, str] = {}  # key -> its YAML
_floats: dict[str, str] = {}  # repr -> YAML (repr: -0.0 and 0.0 are equal keys otherwise)


def _forget_if_full() -> None:
    if len(_strings) + len(_literals) + len(_keys) + len(_floats) > _REMEMBERED:
        _strings.clear()
        _literals.clear()
        _keys.clear()
        _floats.clear()


def _dumped(value: object) -> str:
    """A scalar as a document of its own, without the document's end."""
    return to_yaml(value).removesuffix("\n...\n").removesuffix("\n")


_resolver = yaml.resolver.Resolver()  # the dumper's: which plain strings read as another type
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")  # no plain scalar starts with one (or a space)


def _plain(text: str) -> bool:
    """Whether PyYAML writes the string as it is (plain), judged without running it: printable
    ASCII that starts with no indicator, ends with no space, holds no `: `, ` #` or final
    `:`, and that the dumper's resolver reads back as a string (libyaml's analysis, narrowed
    to what is certain). Most names, paths and images are; the rest asks PyYAML."""
    if not (text and text.isascii() and text.isprintable()) or text[0] in _INDICATORS:
        return False
    if text[-1] == " " or text[-1] == ":" or ": " in text or " #" in text:
        return False
    if text.startswith("..."):  # a document end marker
        return False
    if text[0] in _resolver.yaml_implicit_resolvers:  # may read as a number, bool, null...
        tag = _resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        return bool(tag == _STR_TAG)
    return True


_STR_TAG = "tag:yaml.org,2002:str"


def _one_line(value: str) -> str:
    text = value if _plain(value) else _dumped(value)
    if "\n" in text or len(text) > _LONGEST_VALUE or text.startswith(("|", ">")):
        raise _NotSimple
    _strings[value] = text
    return text


def _multi_line(value: str) -> _Literal | str:
    """A string with a line break, as PyYAML writes it as a value: a literal block, or
    double-quoted when no block can hold it (trailing spaces, control characters)."""
    found = _literals.get(value)
    if found is not None:
        return found
    if any(c in value for c in _OTHER_BREAKS):
        raise _NotSimple
    text = to_yaml({"k": value})
    written: _Literal | str
    if text.startswith('k: "'):
        if text.count("\n") != 1 or len(text) > _LONGEST_VALUE:
            raise _NotSimple
        written = text[3:-1]
    elif text.startswith("k: |"):
        header, _, body = text[3:].partition("\n")
        if "+" in header:  # keeps its trailing breaks: PyYAML ends the document with "..."
            raise _NotSimple
        lines = body.split("\n")
        if lines.pop() != "" or any(line and not line.startswith("  ") for line in lines):
            raise _NotSimple
        written = _Literal(header, [line[2:] for line in lines])
    else:
        raise _NotSimple
    _literals[value] = written
    return written


def _key(key: object) -> str:
    """The YAML of a mapping key that is a simple (implicit) key."""
    if type(key) is not str and not isinstance(key, StrEnum):
        raise _NotSimple  # PyYAML decides (or refuses)
    text = str(key)
    if not text or len(text.encode()) > _LONGEST_KEY or any(c in text for c in _BREAKS):
        raise _NotSimple  # PyYAML writes it as an explicit key (`? key`)
    name = text if _plain(text) else _dumped(text)
    if "\n" in name or name.startswith(("|", ">")):
        raise _NotSimple
    if type(key) is str:
        _keys[key] = name
    return name


@lru_cache(maxsize=4096)
def _other(kind: str, spelled: str, value: object) -> str:
    """A scalar of a type seldom met in manifests, by its PyYAML text."""
    del kind, spelled  # part of the key only: 1, 1.0, True and 0.0, -0.0 are different
    text = _dumped(value)
    if "\n" in text or len(text) > _LONGEST_VALUE or text.startswith(("|", ">")):
        raise _NotSimple
    return text


def _scalar(value: object, indent: str) -> str:
    """The YAML of a scalar after `key: ` or `- `, with its line break(s)."""
    kind = type(value)
    if kind is str or isinstance(value, StrEnum):
        text = str(value)
        if "\n" in text:
            written = _multi_line(text)
            return f"{written}\n" if type(written) is str else written.at(indent)  # type: ignore[union-attr]
        found = _strings.get(text)
        return f"{found if found is not None else _one_line(text)}\n"
    if kind is bool:
        return "true\n" if value else "false\n"
    if value is None:
        return "null\n"
    if kind is int:
        text = str(value)
        if len(text) > _LONGEST_VALUE:
            raise _NotSimple
        return f"{text}\n"
    if kind is float:
        spelled = repr(value)
        found = _floats.get(spelled)
        if found is None:
            found = _dumped(value)
            _floats[spelled] = found
        return f"{found}\n"
    if kind is dict or kind is list:
        raise AssertionError("not a scalar")
    if isinstance(value, (dict, list)):
        raise _NotSimple  # a subclass: PyYAML decides
    return f"{_other(f'{kind.__module__}.{kind.__qualname__}', repr(value), value)}\n"


def _mapping(node: dict[object, object], indent: str, out: list[str], lead: str,
             sort: bool) -> None:
    """`lead`: what precedes the first key on its line (`- ` of a sequence item)."""
    append = out.append
    strings, keys = _strings, _keys
    pairs = [(k, node[k]) for k in sorted(node, key=str)] if sort else node.items()
    deeper = indent + "  "
    for key, value in pairs:
        name = keys.get(key) if type(key) is str else None
        if name is None:
            name = _key(key)
        kind = type(value)
        if kind is str:
            found = strings.get(value)  # type: ignore[call-overload]
            append(f"{lead}{name}: {found}\n" if found is not None
                   else f"{lead}{name}: {_scalar(value, indent)}")
        elif kind is dict:
            if value:
                append(f"{lead}{name}:\n")
                _mapping(value, deeper, out, deeper, sort)  # type: ignore[arg-type]
            else:
                append(f"{lead}{name}: {{}}\n")
        elif kind is list:
            if value:
                append(f"{lead}{name}:\n")
                _sequence(value, indent, out, indent, sort)  # type: ignore[arg-type]
            else:
                append(f"{lead}{name}: []\n")
        else:
            append(f"{lead}{name}: {_scalar(value, indent)}")
        lead = indent


def _sequence(node: list[object], indent: str, out: list[str], lead: str, sort: bool) -> None:
    append = out.append
    strings = _strings
    deeper = indent + "  "
    for item in node:
        kind = type(item)
        if kind is str:
            found = strings.get(item)  # type: ignore[call-overload]
            append(f"{lead}- {found}\n" if found is not None
                   else f"{lead}- {_scalar(item, indent)}")
        elif kind is dict:
            if item:
                _mapping(item, deeper, out, f"{lead}- ", sort)  # type: ignore[arg-type]
            else:
                append(f"{lead}- {{}}\n")
        elif kind is list:
            if item:
                _sequence(item, deeper, out, f"{lead}- ", sort)  # type: ignore[arg-type]
            else:
                append(f"{lead}- []\n")
        else:
            append(f"{lead}- {_scalar(item, indent)}")
        lead = indent


def _write(document: object, out: list[str], sort_keys: bool) -> None:
    """Appends the document's YAML to `out` (PyYAML's, when this writer cannot be sure)."""
    _forget_if_full()  # once per document, not per new scalar
    if type(document) is dict and document:
        mark = len(out)
        try:
            _mapping(document, "", out, "", sort_keys)
        except _NotSimple:
            del out[mark:]
        else:
            return
    out.append(to_yaml(document, sort_keys=sort_keys))


def block_yaml(document: object, *, sort_keys: bool = False) -> str:
    """`to_yaml(document, sort_keys=...)`, faster for manifests."""
    out: list[str] = []
    _write(document, out, sort_keys)
    return "".join(out)


def sorted_yaml(document: object) -> str:
    """`to_yaml(document, sort_keys=True)`, faster for manifests."""
    return block_yaml(document, sort_keys=True)


class _Manifest(Protocol):
    @property
    def manifest(self) -> dict[str, object]: ...


# About 100 kB a piece: few writes, and never the whole output in memory at once.
_CHUNK_PIECES = 4096


def yaml_stream(objects: Iterable[_Manifest]) -> Iterator[str]:
    """The objects' manifests as one multi-document YAML stream (each after `---`), in
    pieces to be written as they come."""
    out: list[str] = []
    for obj in objects:
        out.append("---\n")
        _write(obj.manifest, out, False)
        if len(out) >= _CHUNK_PIECES:
            yield "".join(out)
            out.clear()
    if out:
        yield "".join(out)
