"""Kubernetes resource quantities as exact decimals (k8s.io/apimachinery resource.Quantity)."""

from __future__ import annotations

import math
import re
from decimal import Decimal

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_FORM = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$")
GIB = 2**30


def parse_quantity(value: int | str) -> Decimal:
    """'10Gi' -> 10737418240, '500m' -> 0.5, '1e3' -> 1000. Raises ValueError if malformed."""
    if isinstance(value, int):
        return Decimal(value)
    match = _FORM.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a quantity")
    number, suffix = Decimal(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    if suffix[:1] in ("e", "E"):
        return number * Decimal(10) ** int(suffix[1:])
    raise ValueError(f"{value!r} has an unknown suffix {suffix!r}")


def ceil_gib(size_bytes: Decimal) -> int:
    return max(1, math.ceil(size_bytes / GIB))


def format_cpu(cores: Decimal) -> str:
    """Whole cores as '4', fractions as millicores '500m' (the form kubectl prints)."""
    if cores == cores.to_integral_value():
        return str(int(cores))
    return f"{math.ceil(cores * 1000)}m"


def format_bytes(size: Decimal) -> str:
    """Exact binary units when they divide evenly ('48Gi'), else plain bytes."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = _BINARY[suffix]
        if size >= unit and size % unit == 0:
            return f"{int(size // unit)}{suffix}"
    return str(math.ceil(size))
