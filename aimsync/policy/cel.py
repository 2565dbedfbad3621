"""CEL as the API server evaluates it in admission policies, on a Rust-backed engine.

The engine is `common-expression-language` (Python bindings of cel-rust). It implements the
CEL core; what the Kubernetes API server adds (k8s.io/apiserver/pkg/cel/environment/base.go at
v1.36) is supplied here as functions with the Kubernetes semantics:

- strings (cel-go ext.Strings v2): charAt, indexOf, lastIndexOf, lowerAscii, upperAscii,
  replace, split, substring, trim, join, format, strings.quote;
- lists (k8s library.Lists and cel-go ext.Lists v3): isSorted, sum, min, max, indexOf,
  lastIndexOf, distinct, flatten, lists.range, reverse, slice, sort, first, last;
- regex (library.Regex): find, findAll;
- quantity (library.Quantity): quantity, isQuantity, isInteger, asInteger,
  asApproximateFloat, sign, add, sub, isLessThan, isGreaterThan, compareTo;
- url (library.URLs): url, isURL, getScheme, getHost, getHostname, getPort, getEscapedPath,
  getQuery;
- sets (cel-go ext.Sets): sets.contains, sets.equivalent, sets.intersects;
- optional types: `x.?field`, `x[?key]`, `optional.of/none`, `orValue`, `hasValue`, `value`
  (the parser of cel-rust lacks the `.?` syntax: it is rewritten to a function call).

What the API server's environment lacks is refused as it refuses it: `cel.bind` (ext.Bindings)
and `math.*` (ext.Math) are no part of base.go, so they are `undeclared reference to 'cel'`.

Runtime errors are worded as cel-go words them (`no such key: replicas`, `no such overload`),
because the API server puts that wording into its messages. Not supported (a located error
when a policy uses them): two-variable comprehensions, the authorizer, ip/cidr, semver and
format libraries, `sortBy`.
"""

from __future__ import annotations

import logging
import math
import re
import sys
import types
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from msgspec import Struct

from aimsync.core.quantity import QuantityError, parse_quantity

# `import cel` would also import its interactive shell (prompt_toolkit, typer: 0.3 s).
sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))
import cel as _cel  # noqa: E402

# cel-rust logs every failing Python function on the `cel` logger; failures are results here.
logging.getLogger("cel").disabled = True

QUANTITY_KEY = "@kubernetes.Quantity"
URL_KEY = "@kubernetes.URL"
NO_SUCH_OVERLOAD = "no such overload"

# The variables of the admission environment (k8s.io/apiserver/pkg/admission/plugin/cel).
ADMISSION_VARIABLES = frozenset({
    "object", "oldObject", "request", "params", "namespaceObject", "variables",
})
UNSUPPORTED_VARIABLES = {
    "authorizer": "the authorizer answers from the cluster's RBAC, which is not known offline",
}
_MACROS = ("all", "exists", "exists_one", "map", "filter")
_TWO_VAR = re.compile(
    r"\.\s*(all|exists|existsOne|exists_one|transformList|transformMap|transformMapEntry)"
    r"\(\s*[A-Za-z_]\w*\s*,\s*[A-Za-z_]\w*\s*,"
)
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,")
_IDENT_AFTER = re.compile(r"\s*([A-Za-z_]\w*)")


class CelError(Exception):
    """A CEL expression that does not compile or whose evaluation failed; the message is
    worded as the API server words it."""


# -- source rewrites for what cel-rust's parser lacks ---------------------------------------


_SQ3, _DQ3 = "'" * 3, '"' * 3
_STRING_LITERAL = re.compile(
    "|".join([
        # raw (after r or R): no escapes
        f"(?<=[rR])(?:{_SQ3}.*?{_SQ3}|{_DQ3}.*?{_DQ3}|'[^'\\n]*'|\"[^\"\\n]*\")",
        f"{_SQ3}(?:\\\\.|[^\\\\])*?{_SQ3}",
        f"{_DQ3}(?:\\\\.|[^\\\\])*?{_DQ3}",
        "'(?:\\\\.|[^'\\\\\\n])*'",
        '"(?:\\\\.|[^"\\\\\\n])*"',
    ]),
    re.S,
)


def _literals(source: str) -> Iterator[tuple[int, int]]:
    """Start and end of every string and bytes literal (an unclosed one runs to the end)."""
    i = 0
    while True:
        quote = min((k for k in (source.find("'", i), source.find('"', i)) if k >= 0),
                    default=-1)
        if quote < 0:
            return
        match = _STRING_LITERAL.match(source, quote)
        end = match.end() if match else len(source)
        yield quote, end
        i = end


def _code_mask(source: str) -> list[bool]:
    """True for every character that is code, False inside string and bytes literals."""
    mask = [True] * len(source)
    for start, end in _literals(source):
        mask[start:end] = [False] * (end - start)
    return mask


def _matching(source: str, mask: list[bool], start: int, opening: str, closing: str) -> int:
    """Index of the bracket that closes the one at `start`; -1 when there is none."""
    depth = 0
    for k in range(start, len(source)):
        if not mask[k]:
            continue
        if source[k] in "([{":
            depth += 1
        elif source[k] in ")]}":
            depth -= 1
            if depth == 0:
                return k if source[k] == closing else -1
    return -1


def rewrite(source: str) -> str:
    """`x.?f` -> `x._aimsync_opt_select('f')`, `x[?k]` -> `x._aimsync_opt_index(k)`. Raises
    CelError for syntax aimsync's engine does not run."""
    for _ in range(1000):  # each pass rewrites one construct
        if ".?" not in source and "[?" not in source:
            return source
        mask = _code_mask(source)
        for k in range(len(source) - 1):
            if not mask[k]:
                continue
            pair = source[k:k + 2]
            if pair == ".?":
                ident = _IDENT_AFTER.match(source, k + 2)
                if ident is None:
                    raise CelError("Syntax error: an identifier must follow '.?'")
                source = (f"{source[:k]}._aimsync_opt_select('{ident.group(1)}')"
                          f"{source[ident.end():]}")
                break
            if pair == "[?":
                end = _matching(source, mask, k, "[", "]")
                if end < 0:
                    raise CelError("Syntax error: '[?' is not closed")
                source = f"{source[:k]}._aimsync_opt_index({source[k + 2:end]}){source[end + 1:]}"
                break
        else:
            return source
    raise CelError("expression too complex")


# -- values ----------------------------------------------------------------------------------


def _quantity(value: Decimal) -> dict[str, str]:
    # Normalised, so that == compares values as resource.Quantity.Equal does.
    text = format(value.normalize(), "f") if value else "0"
    return {QUANTITY_KEY: text}


def _as_quantity(value: object) -> Decimal:
    if isinstance(value, dict) and len(value) == 1 and QUANTITY_KEY in value:
        return Decimal(str(value[QUANTITY_KEY]))
    raise ValueError(NO_SUCH_OVERLOAD)


def _as_url(value: object) -> urllib.parse.SplitResult:
    if isinstance(value, dict) and len(value) == 1 and URL_KEY in value:
        return urllib.parse.urlsplit(str(value[URL_KEY]))
    raise ValueError(NO_SUCH_OVERLOAD)


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(NO_SUCH_OVERLOAD)
    return value


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(NO_SUCH_OVERLOAD)
    return value


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(NO_SUCH_OVERLOAD)
    return value


# -- strings (cel-go ext.Strings, version 2) --------------------------------------------------


def _char_at(s: object, index: object) -> str:
    text, i = _string(s), _integer(index)
    if i < 0 or i > len(text):
        raise ValueError(f"index out of range: {i}")
    return text[i] if i < len(text) else ""


def _index_of(target: object, item: object, offset: object = 0) -> int:
    if isinstance(target, list):  # library.Lists
        return next((i for i, v in enumerate(target) if _equal(v, item)), -1)
    text, sub, start = _string(target), _string(item), _integer(offset)
    if start < 0 or start > len(text):
        raise ValueError(f"index out of range: {start}")
    return text.find(sub, start)


def _last_index_of(target: object, item: object, offset: object = None) -> int:
    if isinstance(target, list):
        return next((i for i in range(len(target) - 1, -1, -1) if _equal(target[i], item)), -1)
    text, sub = _string(target), _string(item)
    if offset is None:
        return text.rfind(sub)
    end = _integer(offset)
    if end < 0 or end > len(text):
        raise ValueError(f"index out of range: {end}")
    return text.rfind(sub, 0, end + len(sub))


_TO_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_TO_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _lower_ascii(s: object) -> str:
    return _string(s).translate(_TO_LOWER)


def _upper_ascii(s: object) -> str:
    return _string(s).translate(_TO_UPPER)


def _replace(s: object, old: object, new: object, limit: object = -1) -> str:
    count = _integer(limit)
    return _string(s).replace(_string(old), _string(new), count if count >= 0 else -1)


def _split(s: object, separator: object, limit: object = -1) -> list[str]:
    text, sep, count = _string(s), _string(separator), _integer(limit)
    if count == 0:
        return []
    if sep == "":
        chars = list(text)
        if count < 0 or count >= len(chars):
            return chars
        return [*chars[:count - 1], "".join(chars[count - 1:])]
    return text.split(sep, count - 1 if count > 0 else -1)


def _substring(s: object, start: object, end: object = None) -> str:
    text, begin = _string(s), _integer(start)
    stop = len(text) if end is None else _integer(end)
    if begin < 0 or begin > len(text):
        raise ValueError(f"index out of range: {begin}")
    if stop < 0 or stop > len(text):
        raise ValueError(f"index out of range: {stop}")
    if begin > stop:
        raise ValueError(f"invalid substring range. start: {begin}, end: {stop}")
    return text[begin:stop]


def _trim(s: object) -> str:
    return _string(s).strip()


def _join(items: object, separator: object = "") -> str:
    values = _list(items)
    if not all(isinstance(v, str) for v in values):
        raise ValueError(NO_SUCH_OVERLOAD)
    return _string(separator).join(values)


def _quote(s: object) -> str:
    text = _string(s)
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'


_VERB = re.compile(r"%(?:\.(\d+))?([sdfeoxXb%])")


def _format_value(verb: str, precision: str | None, value: object) -> str:
    if verb == "s":
        return _display(value)
    if verb == "d":
        return str(_integer(value))
    if verb in "fe":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(NO_SUCH_OVERLOAD)
        digits = int(precision) if precision is not None else 6
        return f"{float(value):.{digits}{verb}}"
    number = _integer(value) if not isinstance(value, str) else None
    if number is None:
        data = _string(value).encode()
        return data.hex() if verb == "x" else data.hex().upper()
    return format(number, {"o": "o", "x": "x", "X": "X", "b": "b"}[verb])


def _format(template: object, arguments: object) -> str:
    text, values = _string(template), _list(arguments)
    out, index, last = [], 0, 0
    for match in _VERB.finditer(text):
        out.append(text[last:match.start()])
        last = match.end()
        if match.group(2) == "%":
            out.append("%")
            continue
        if index >= len(values):
            raise ValueError(f"index {index} out of range")
        out.append(_format_value(match.group(2), match.group(1), values[index]))
        index += 1
    out.append(text[last:])
    return "".join(out)


def _display(value: object) -> str:
    """How cel-go's %s and string() show a value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else f"{value:.0f}"
    if isinstance(value, list):
        return "[" + ", ".join(_display(v) for v in value) + "]"
    if isinstance(value, dict):
        if QUANTITY_KEY in value and len(value) == 1:
            return str(value[QUANTITY_KEY])
        return "{" + ", ".join(f"{_display(k)}: {_display(v)}" for k, v in value.items()) + "}"
    return str(value)


# -- lists ------------------------------------------------------------------------------------


def _equal(a: object, b: object) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def _comparable(values: list[Any]) -> list[Any]:
    kinds = {str if isinstance(v, str) else bool if isinstance(v, bool) else
             float if isinstance(v, (int, float)) else type(v) for v in values}
    if len(kinds) > 1 or (kinds and next(iter(kinds)) not in (str, bool, float)):
        raise ValueError(NO_SUCH_OVERLOAD)
    return values


def _is_sorted(items: object) -> bool:
    values = _comparable(_list(items))
    return all(values[i] <= values[i + 1] for i in range(len(values) - 1))


def _sum(items: object) -> int | float:
    values = _list(items)
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise ValueError(NO_SUCH_OVERLOAD)
    total: int | float = sum(values)
    return total


def _min(items: object) -> Any:
    values = _comparable(_list(items))
    if not values:
        raise ValueError("min called on empty list")
    return min(values)


def _max(items: object) -> Any:
    values = _comparable(_list(items))
    if not values:
        raise ValueError("max called on empty list")
    return max(values)


def _distinct(items: object) -> list[Any]:
    out: list[Any] = []
    for value in _list(items):
        if not any(_equal(value, seen) for seen in out):
            out.append(value)
    return out


def _flatten(items: object, depth: object = 1) -> list[Any]:
    levels = _integer(depth)
    if levels < 0:
        raise ValueError("level must be non-negative")
    out: list[Any] = []
    for value in _list(items):
        if isinstance(value, list) and levels > 0:
            out.extend(_flatten(value, levels - 1))
        else:
            out.append(value)
    return out


def _range(count: object) -> list[int]:
    return list(range(_integer(count)))


def _reverse(items: object) -> list[Any]:
    return list(reversed(_list(items)))


def _slice(items: object, start: object, end: object) -> list[Any]:
    values, begin, stop = _list(items), _integer(start), _integer(end)
    if begin < 0 or stop < 0:
        raise ValueError(f"cannot slice({begin}, {stop}), negative indexes not supported")
    if begin > stop:
        raise ValueError(f"cannot slice({begin}, {stop}), start index must be less than or "
                         "equal to end index")
    if stop > len(values):
        raise ValueError(f"cannot slice({begin}, {stop}), list is length {len(values)}")
    return values[begin:stop]


def _sort(items: object) -> list[Any]:
    return sorted(_comparable(_list(items)))


def _first(items: object) -> _cel.OptionalValue:
    values = _list(items)
    return _cel.OptionalValue.of(values[0]) if values else _cel.OptionalValue.none()


def _last(items: object) -> _cel.OptionalValue:
    values = _list(items)
    return _cel.OptionalValue.of(values[-1]) if values else _cel.OptionalValue.none()


# -- sets -------------------------------------------------------------------------------------


def _sets_contains(items: object, other: object) -> bool:
    values = _list(items)
    return all(any(_equal(v, w) for w in values) for v in _list(other))


def _sets_equivalent(items: object, other: object) -> bool:
    return _sets_contains(items, other) and _sets_contains(other, items)


def _sets_intersects(items: object, other: object) -> bool:
    values = _list(items)
    return any(any(_equal(v, w) for w in values) for v in _list(other))


# -- regex (library.Regex: RE2 in Go; Python's re reads the same common syntax) ----------------


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"error parsing regexp: {exc}") from None


def _find(s: object, pattern: object) -> str:
    match = _regex(_string(pattern)).search(_string(s))
    return match.group(0) if match else ""


def _find_all(s: object, pattern: object, limit: object = -1) -> list[str]:
    count = _integer(limit)
    found = [m.group(0) for m in _regex(_string(pattern)).finditer(_string(s))]
    return found if count < 0 else found[:count]


# -- quantity (library.Quantity) --------------------------------------------------------------

QUANTITY_FORMAT = (
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def _parse(s: object) -> Decimal:
    try:
        return parse_quantity(_string(s))
    except QuantityError:
        raise ValueError(QUANTITY_FORMAT) from None


def _to_quantity(s: object) -> dict[str, str]:
    return _quantity(_parse(s))


def _is_quantity(s: object) -> bool:
    try:
        _parse(s)
    except ValueError:
        if not isinstance(s, str):
            raise
        return False
    return True


def _quantity_int(q: object) -> int:
    value = _as_quantity(q)
    if value != value.to_integral_value() or abs(value) > 2**63 - 1:
        raise ValueError("cannot convert value to integer")
    return int(value)


def _quantity_is_integer(q: object) -> bool:
    value = _as_quantity(q)
    return value == value.to_integral_value() and abs(value) <= 2**63 - 1


def _quantity_float(q: object) -> float:
    return float(_as_quantity(q))


def _quantity_sign(q: object) -> int:
    value = _as_quantity(q)
    return (value > 0) - (value < 0)


def _operand(value: object) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return _as_quantity(value)


def _quantity_add(q: object, other: object) -> dict[str, str]:
    return _quantity(_as_quantity(q) + _operand(other))


def _quantity_sub(q: object, other: object) -> dict[str, str]:
    return _quantity(_as_quantity(q) - _operand(other))


def _compare(q: object, other: object) -> int:
    a, b = _as_quantity(q), _as_quantity(other)
    return (a > b) - (a < b)


def _is_less_than(q: object, other: object) -> bool:
    return _compare(q, other) < 0


def _is_greater_than(q: object, other: object) -> bool:
    return _compare(q, other) > 0


# -- url (library.URLs: Go's url.ParseRequestURI) ---------------------------------------------


def _url_problem(text: str) -> str | None:
    if not text:
        return "parse \"\": empty url"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return f"parse {text!r}: net/url: invalid control character in URL"
    parts = urllib.parse.urlsplit(text)
    if not parts.scheme and not text.startswith("/"):
        return f"parse {text!r}: invalid URI for request"
    return None


def _to_url(s: object) -> dict[str, str]:
    text = _string(s)
    problem = _url_problem(text)
    if problem:
        raise ValueError(f"URL parse error during conversion from string: {problem}")
    return {URL_KEY: text}


def _is_url(s: object) -> bool:
    return _url_problem(_string(s)) is None


def _get_scheme(u: object) -> str:
    return _as_url(u).scheme


def _get_host(u: object) -> str:
    return _as_url(u).netloc.rpartition("@")[2]


def _get_hostname(u: object) -> str:
    host = _get_host(u)
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if ":" in host else host


def _get_port(u: object) -> str:
    host = _get_host(u)
    tail = host[host.find("]") + 1:] if host.startswith("[") else host
    return tail.rsplit(":", 1)[1] if ":" in tail else ""


def _get_escaped_path(u: object) -> str:
    return _as_url(u).path


def _get_query(u: object) -> dict[str, list[str]]:
    return {k: v for k, v in urllib.parse.parse_qs(_as_url(u).query, keep_blank_values=True)
            .items()}


# -- optional selection (the `.?` and `[?` syntax, rewritten) ---------------------------------


def _opt_select(target: object, field: object) -> _cel.OptionalValue:
    if isinstance(target, _cel.OptionalValue):
        if not target.has_value():
            return target
        target = target.value()
    if isinstance(target, dict):
        key = _string(field)
        return _cel.OptionalValue.of(target[key]) if key in target else _cel.OptionalValue.none()
    raise ValueError(NO_SUCH_OVERLOAD)


def _opt_index(target: object, key: object) -> _cel.OptionalValue:
    if isinstance(target, _cel.OptionalValue):
        if not target.has_value():
            return target
        target = target.value()
    if isinstance(target, dict):
        return _cel.OptionalValue.of(target[key]) if key in target else _cel.OptionalValue.none()
    if isinstance(target, list):
        index = _integer(key)
        ok = 0 <= index < len(target)
        return _cel.OptionalValue.of(target[index]) if ok else _cel.OptionalValue.none()
    raise ValueError(NO_SUCH_OVERLOAD)


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    # strings
    "charAt": _char_at, "indexOf": _index_of, "lastIndexOf": _last_index_of,
    "lowerAscii": _lower_ascii, "upperAscii": _upper_ascii, "replace": _replace,
    "split": _split, "substring": _substring, "trim": _trim, "join": _join,
    "format": _format, "strings.quote": _quote,
    # lists
    "isSorted": _is_sorted, "sum": _sum, "min": _min, "max": _max, "distinct": _distinct,
    "flatten": _flatten, "lists.range": _range, "reverse": _reverse, "slice": _slice,
    "sort": _sort, "first": _first, "last": _last,
    # sets
    "sets.contains": _sets_contains, "sets.equivalent": _sets_equivalent,
    "sets.intersects": _sets_intersects,
    # regex
    "find": _find, "findAll": _find_all,
    # quantity
    "quantity": _to_quantity, "isQuantity": _is_quantity, "isInteger": _quantity_is_integer,
    "asInteger": _quantity_int, "asApproximateFloat": _quantity_float, "sign": _quantity_sign,
    "add": _quantity_add, "sub": _quantity_sub, "isLessThan": _is_less_than,
    "isGreaterThan": _is_greater_than, "compareTo": _compare,
    # url
    "url": _to_url, "isURL": _is_url, "getScheme": _get_scheme, "getHost": _get_host,
    "getHostname": _get_hostname, "getPort": _get_port, "getEscapedPath": _get_escaped_path,
    "getQuery": _get_query,
    # optional selection
    "_aimsync_opt_select": _opt_select, "_aimsync_opt_index": _opt_index,
}

_UNSUPPORTED_FUNCTIONS = {
    "sortBy": "the sortBy macro",
    "ip": "the ip library", "cidr": "the cidr library", "isIP": "the ip library",
    "isCIDR": "the cidr library", "semver": "the semver library", "isSemver": "the semver library",
    "named": "the format library", "validate": "the format library",
}
_UNSUPPORTED_CALL = re.compile(
    r"(?<![\w.])\.?(" + "|".join(map(re.escape, _UNSUPPORTED_FUNCTIONS)) + r")\s*\(")


# -- programs ---------------------------------------------------------------------------------


def _function_failure(message: str) -> str:
    inner = re.search(r"Python function call failed: \w+: (.*?)\. Check function arguments",
                      message, re.S)
    if inner:
        return inner.group(1)
    outer = re.match(r"Function '([^']*)' error: (.*?)\. Check function arguments", message, re.S)
    if outer:
        return outer.group(2)
    return message


def cel_go_wording(exc: Exception) -> str:
    """cel-rust's error as cel-go words it (what the API server's messages contain)."""
    message = str(exc)
    if isinstance(exc, KeyError):
        key = exc.args[0] if exc.args else ""
        return f"no such key: {key}"
    if isinstance(exc, ZeroDivisionError):
        return "modulus by zero" if "modulus" in message else "division by zero"
    if isinstance(exc, OverflowError):
        return "integer overflow"
    if isinstance(exc, TypeError):
        return NO_SUCH_OVERLOAD
    if message.startswith("Undefined variable or function: "):
        name = message.split("'")[1] if "'" in message else ""
        return f"no such attribute(s): {name}" if name not in FUNCTIONS else NO_SUCH_OVERLOAD
    if message.startswith("Function '") or "Python function" in message:
        return _function_failure(message)
    return message.splitlines()[0] if message else type(exc).__name__


_IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset({"true", "false", "null", "in", "int", "uint", "double", "string", "bytes",
                       "bool", "list", "map", "type", "null_type", "dyn", "optional",
                       "strings", "lists", "sets"})


def _referenced_names(code: str) -> set[str]:
    """Identifiers an expression reads at the top level (not fields, not functions); `code`:
    the expression with its literals blanked (_masked)."""
    names: set[str] = set()
    size = len(code)
    for match in _IDENTIFIER.finditer(code):
        start, end = match.span()
        while start > 0 and code[start - 1].isspace():
            start -= 1
        while end < size and code[end].isspace():
            end += 1
        before = code[start - 1] if start > 0 else ""
        after = code[end] if end < size else ""
        if before == "." or after == "(" or (after == ":" and before in ("{", ",")):
            continue
        names.add(match.group(0))
    return names - _KEYWORDS


class Program(Struct, frozen=True):
    """One compiled expression, with the variables it reads."""

    source: str  # as written (what messages quote)
    compiled: _cel.Program  # what runs: rewritten, variables inlined
    names: frozenset[str]  # the admission variables it reads (after inlining)
    uses: tuple[str, ...] = ()  # the policy variables it reads, in order

    def run(self, context: _cel.Context) -> object:
        """The value, or raises CelError worded as cel-go words it."""
        try:
            return self.compiled.execute(context)
        except Exception as exc:  # the engine raises many types: each becomes one message
            raise CelError(cel_go_wording(exc)) from None


_VARIABLE = re.compile(r"(?<![\w.])variables\s*\.\s*([A-Za-z_]\w*)")
_PARAMS = re.compile(r"(?<![\w.])params(?!\w)")


def inline_variables(source: str, variables: Mapping[str, str]) -> str:
    """`variables.name` replaced by the variable's (already inlined) expression. CEL has no
    side effects, so this is what the lazy variables of the API server compute; it keeps the
    whole evaluation inside the engine (no value crosses to Python and back)."""
    mask = _code_mask(source)
    out, last = [], 0
    for match in _VARIABLE.finditer(source):
        if not mask[match.start()]:
            continue
        name = match.group(1)
        if name not in variables:
            raise CelError(f"undefined field '{name}'")
        out += [source[last:match.start()], f"({variables[name]})"]
        last = match.end()
    return "".join(out) + source[last:]


def variables_used(source: str) -> list[str]:
    """The variables an expression reads, in the order they appear."""
    mask = _code_mask(source)
    seen: list[str] = []
    for match in _VARIABLE.finditer(source):
        if mask[match.start()] and match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def with_params(program: Program, name: str) -> Program:
    """The program reading `params` from the variable `name` (one per parameter object, each
    converted once)."""
    mask = _code_mask(program.compiled.source)
    text = program.compiled.source
    out, last = [], 0
    for match in _PARAMS.finditer(text):
        if mask[match.start()]:
            out += [text[last:match.start()], name]
            last = match.end()
    source = "".join(out) + text[last:]
    return Program(program.source, _cel.compile(source), program.names)


def compile_expression(source: str, variables: Mapping[str, str] | None = None) -> Program:
    """Compile as the API server does on create (syntax, undeclared variables); raises
    CelError with the reason. `variables`: the policy's variables defined so far (their
    expressions, already inlined)."""
    if _TWO_VAR.search(source):
        raise CelError("two-variable comprehensions are not supported by aimsync's CEL engine")
    rewritten = rewrite(inline_variables(source, variables or {}))
    try:
        compiled = _cel.compile(rewritten)
    except Exception as exc:
        message = str(exc)
        detail = message.split(": ", 1)[1] if message.startswith("Failed to parse") else message
        raise CelError(detail.replace("\n", " ").strip()) from None
    code = _masked(rewritten)
    names = _referenced_names(code)
    bound = set(_BOUND.findall(rewritten))
    for name in sorted(names - bound):
        if name in UNSUPPORTED_VARIABLES:
            raise CelError(f"'{name}' is not supported offline: {UNSUPPORTED_VARIABLES[name]}")
        if name not in ADMISSION_VARIABLES:
            raise CelError(f"undeclared reference to '{name}' (in container '')")
    called = set(_UNSUPPORTED_CALL.findall(code))
    for function in _UNSUPPORTED_FUNCTIONS:  # the first in this order, as each is looked for
        if function in called:
            raise CelError(f"{_UNSUPPORTED_FUNCTIONS[function]} ({function}) is not supported "
                           "by aimsync's CEL engine")
    return Program(source, compiled, frozenset(names & ADMISSION_VARIABLES),
                   tuple(variables_used(source)))


def _masked(source: str) -> str:
    """The source with every literal blanked (the same length)."""
    out, last = [], 0
    for start, end in _literals(source):
        out += [source[last:start], " " * (end - start)]
        last = end
    return "".join(out) + source[last:]


def new_context(
    variables: Mapping[str, object], programs: Iterable[Program] | None = None
) -> _cel.Context:
    """An activation: the variables and the Kubernetes functions (only those `programs`
    call, when given: every registered function costs each call a little)."""
    if programs is None:
        functions = dict(FUNCTIONS)
    else:
        used = {name for program in programs for name in program.compiled.functions()}
        functions = {name: f for name, f in FUNCTIONS.items()
                     if name in used or name.rpartition(".")[2] in used}
    return _cel.Context(dict(variables), functions=functions)


def is_true(value: object) -> bool:
    return value is True


def as_float_text(value: float) -> str:
    return "NaN" if math.isnan(value) else repr(value)
