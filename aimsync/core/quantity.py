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
# A decimal exponent is a whole number, as k8s.io/apimachinery parses it (strconv.ParseInt).
_EXPONENT = re.compile(r"^[eE]([+-]?[0-9]+)$")
GIB = 2**30
# The largest value Kubernetes' Quantity.Value() holds (int64); beyond it values saturate.
MAX_QUANTITY = Decimal(2**63 - 1)


class QuantityError(ValueError):
    """Not a quantity Kubernetes (and so aimsync) can use; the message says why."""


def parse_quantity(value: int | str) -> Decimal:
    """'10Gi' -> 10737418240, '500m' -> 0.5, '1e3' -> 1000. Raises QuantityError for what
    Kubernetes' resource.ParseQuantity refuses (e.g. a fractional exponent, '1e1.5') and for
    values beyond int64."""
    if isinstance(value, int):
        number = Decimal(value)
    else:
        match = _FORM.match(value.strip())
        if not match:
            raise QuantityError(f"{value!r} is not a quantity")
        number, suffix = Decimal(match.group(1)), match.group(2)
        if suffix in _BINARY:
            number *= _BINARY[suffix]
        elif suffix in _DECIMAL:
            number *= _DECIMAL[suffix]
        elif exponent := _EXPONENT.match(suffix):
            power = int(exponent.group(1))
            if abs(power) > 30:  # far beyond int64 either way; keeps the arithmetic small
                raise QuantityError(f"{value!r}: the exponent {power} is out of range")
            number *= Decimal(10) ** power
        elif suffix[:1] in ("e", "E"):
            raise QuantityError(
                f"{value!r}: an exponent must be a whole number (such as 1e3 or 5E-2)"
            )
        else:
            raise QuantityError(f"{value!r} has an unknown suffix {suffix!r}")
    if abs(number) > MAX_QUANTITY:
        raise QuantityError(
            f"{value!r} is larger than a Kubernetes quantity can hold (2^63 - 1)"
        )
    return number


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
