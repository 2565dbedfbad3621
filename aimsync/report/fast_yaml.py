"""Block YAML of manifests, as `to_yaml` (PyYAML with libyaml's emitter) writes it, in a
fraction of the time: PyYAML builds a node per value in Python, which dominates a diff of
thousands of objects. The structure (mappings, sequences, PyYAML's indentation) is written
here; every scalar is written by PyYAML itself, once per distinct value. A value this cannot
be sure of (a multi-line or very long scalar, a key that is no plain one-line scalar) makes
the caller fall back to PyYAML for the whole document, so the output is always PyYAML's."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

import yaml

_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: faster


class _ManifestDumper(_Base):  # type: ignore[valid-type,misc]
    """Block style for multi-line strings (the profile YAML in ConfigMaps stays readable)."""


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


_LONGEST = 120  # longer scalars: PyYAML's own rules (simple keys, folding) decide
_BREAKS = "\n\r\x85\u2028\u2029"  # a key with one is no simple key


class _NotSimple(Exception):
    """A value whose YAML depends on its context."""


@lru_cache(maxsize=262_144)
def _scalar(kind: str, spelled: str, value: object) -> str:
    del kind, spelled  # part of the key only: 1, 1.0, True and 0.0, -0.0 are different
    text = to_yaml(value)
    text = text.removesuffix("\n...\n").removesuffix("\n")
    if "\n" in text or len(text) > _LONGEST or text.startswith(("|", ">")):
        raise _NotSimple
    return text


def _value(value: object) -> str:
    if isinstance(value, (dict, list)):
        raise AssertionError("not a scalar")
    kind = type(value)
    return _scalar(f"{kind.__module__}.{kind.__qualname__}", repr(value), value)


def _mapping(node: dict[object, object], indent: str, out: list[str], first: str,
             sort: bool) -> None:
    """`first`: what precedes the first key on its line (`- ` of a sequence item)."""
    lead = first
    for key in sorted(node, key=str) if sort else node:
        if not isinstance(key, str) or not key or any(c in key for c in _BREAKS):
            raise _NotSimple  # PyYAML writes it as an explicit key (`? key`)
        name = _value(key)
        value = node[key]
        if isinstance(value, dict) and value:
            out.append(f"{lead}{name}:\n")
            _mapping(value, indent + "  ", out, indent + "  ", sort)
        elif isinstance(value, list) and value:
            out.append(f"{lead}{name}:\n")
            _sequence(value, indent, out, indent, sort)
        else:
            shown = "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else (
                _value(value))
            out.append(f"{lead}{name}: {shown}\n")
        lead = indent


def _sequence(node: list[object], indent: str, out: list[str], first: str, sort: bool) -> None:
    lead = first
    for item in node:
        if isinstance(item, dict) and item:
            _mapping(item, indent + "  ", out, f"{lead}- ", sort)
        elif isinstance(item, list) and item:
            _sequence(item, indent + "  ", out, f"{lead}- ", sort)
        else:
            shown = "{}" if isinstance(item, dict) else "[]" if isinstance(item, list) else (
                _value(item))
            out.append(f"{lead}- {shown}\n")
        lead = indent


def block_yaml(document: object, *, sort_keys: bool = False) -> str:
    """`to_yaml(document, sort_keys=...)`, faster for manifests."""
    if isinstance(document, dict) and document:
        out: list[str] = []
        try:
            _mapping(document, "", out, "", sort_keys)
        except _NotSimple:
            return to_yaml(document, sort_keys=sort_keys)
        return "".join(out)
    return to_yaml(document, sort_keys=sort_keys)


def sorted_yaml(document: object) -> str:
    """`to_yaml(document, sort_keys=True)`, faster for manifests."""
    return block_yaml(document, sort_keys=True)
