"""The AIM operator's naming function, `GenerateDerivedName` (reference §3.1).

Names must match what the operator would create, so this reproduces its algorithm exactly,
including Go's JSON encoding of the hash inputs.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache

_NOT_RFC1123 = re.compile(r"[^a-z0-9-]")
MAX_NAME_LENGTH = 63
ISVC_SUFFIX = "-predictor-"
MIN_ISVC_NAME_LENGTH = 10


@lru_cache(maxsize=262_144)  # pure, and asked for the same names many times per run
def make_rfc1123_compliant(value: str) -> str:
    """Lowercase; every char outside [a-z0-9-] becomes '-'; trim '-'; cut to 63."""
    out = _NOT_RFC1123.sub("-", value.lower()).strip("-")
    return out[:MAX_NAME_LENGTH].rstrip("-")


def _normalize(value: object) -> object:
    """Maps become sorted [k1, v1, k2, v2, ...] arrays, recursively (Go's hash normalisation)."""
    if isinstance(value, dict):
        flat: list[object] = []
        for key in sorted(value):
            flat.extend([key, _normalize(value[key])])
        return flat
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value


# What json.dumps(value, ensure_ascii=False, separators=(",", ":")) uses, made once: dumps
# makes an encoder per call for these options.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def go_json(value: object) -> str:
    """JSON as Go's encoding/json writes it: compact, UTF-8, with <, >, & escaped."""
    text = _COMPACT.encode(value)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def derived_hash(hash_inputs: list[object], length: int = 8) -> str:
    joined = "|".join([go_json(x if type(x) is str else _normalize(x)) for x in hash_inputs])
    return hashlib.sha256(joined.encode()).hexdigest()[:length]


# Hash inputs a name is remembered for. Not floats: -0.0 and 0.0 are equal keys but hash
# differently (Go writes -0.0 as -0).
_SCALARS = frozenset({str, int, bool, type(None)})
_REMEMBERED = 262_144  # names kept (then forgotten at once): a few per service
# (hash length, max length, number of parts, *parts, *inputs, *their types) -> name: one
# flat tuple per name, as thousands are kept.
_names: dict[tuple[object, ...], str] = {}


def generate_derived_name(
    parts: list[str],
    hash_inputs: list[object],
    hash_length: int = 8,
    max_length: int = MAX_NAME_LENGTH,
) -> str:
    """`<part>-<part>-<hash>`, each part made RFC 1123 compliant and the longest parts cut
    one character at a time until the whole fits `max_length`. Remembered for scalar hash
    inputs (keyed by type too: 1 and True hash differently)."""
    kinds = tuple(map(type, hash_inputs))
    if not _SCALARS.issuperset(kinds):
        return _derived_name(parts, hash_inputs, hash_length, max_length)
    key = (hash_length, max_length, len(parts), *parts, *hash_inputs, *kinds)
    name = _names.get(key)
    if name is None:
        if len(_names) >= _REMEMBERED:
            _names.clear()
        name = _names[key] = _derived_name(parts, hash_inputs, hash_length, max_length)
    return name


def _derived_name(
    parts: list[str], hash_inputs: list[object], hash_length: int, max_length: int
) -> str:
    cleaned = [make_rfc1123_compliant(p) or "part" for p in parts]
    digest = derived_hash(hash_inputs, hash_length)

    def total() -> int:
        return sum(len(p) + 1 for p in cleaned) + len(digest)

    while total() > max_length:
        longest = max(range(len(cleaned)), key=lambda i: (len(cleaned[i]), -i))
        if not cleaned[longest]:
            break
        cleaned[longest] = cleaned[longest][:-1].rstrip("-")
    return "-".join([*cleaned, digest])


def isvc_max_length(namespace: str) -> int:
    """KServe names the predictor `<isvc>-predictor-<namespace>`; it must fit 63 characters."""
    return MAX_NAME_LENGTH - len(ISVC_SUFFIX) - len(namespace)


def inference_service_name(service_name: str, namespace: str) -> str:
    """Raises ValueError when the namespace leaves no room (reference §3.1)."""
    max_length = isvc_max_length(namespace)
    if max_length < MIN_ISVC_NAME_LENGTH:
        raise ValueError(
            f"namespace {namespace!r} is too long ({len(namespace)} characters): KServe needs "
            f"'<name>{ISVC_SUFFIX}<namespace>' to fit {MAX_NAME_LENGTH} characters, which "
            f"leaves {max_length} for the InferenceService name; at least "
            f"{MIN_ISVC_NAME_LENGTH} are needed, so namespaces may have at most "
            f"{MAX_NAME_LENGTH - len(ISVC_SUFFIX) - MIN_ISVC_NAME_LENGTH} characters"
        )
    # Hashed on (namespace, service) so that the name stays unique per service even when the
    # visible part is cut to fit a long namespace (GenerateInferenceServiceName at e837778).
    return generate_derived_name(
        [service_name], [namespace, service_name], max_length=max_length
    )


def http_route_name(service_name: str, namespace: str) -> str:
    """`GenerateHTTPRouteName` at e837778: still hashed on the namespace alone."""
    return generate_derived_name([service_name], [namespace])


def profile_configmap_name(service_name: str) -> str:
    return generate_derived_name([service_name, "profile"], [service_name, "service-profile"])


def shared_profile_cache_name(profile_name: str, namespace: str, scope: str) -> str:
    return generate_derived_name(
        [profile_name, "cache"], [f"{namespace}|{scope or 'Namespace'}", profile_name]
    )


def artifact_name(
    source_uri: str,
    env: list[dict[str, object]] | None,
    storage_class_name: str,
    dedicated_cache: str | None = None,
) -> str:
    inputs: list[object] = [source_uri, env, storage_class_name]
    if dedicated_cache is not None:
        inputs += ["dedicated", dedicated_cache]
    return generate_derived_name([source_uri.replace(".", "-")], inputs, hash_length=10)
