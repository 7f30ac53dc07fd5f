"""Flink memory sizes, Kubernetes quantities and Flink durations, parsed the way the operator does.

Each parser returns a number or raises :class:`ValueError` with a message fit for a user.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Flink MemorySize units (org.apache.flink.configuration.MemorySize.MemoryUnit), case-insensitive.
_FLINK_UNITS = {
    "": 1,
    "b": 1, "bytes": 1,
    "k": 1 << 10, "kb": 1 << 10, "kibibytes": 1 << 10,
    "m": 1 << 20, "mb": 1 << 20, "mebibytes": 1 << 20,
    "g": 1 << 30, "gb": 1 << 30, "gibibytes": 1 << 30,
    "t": 1 << 40, "tb": 1 << 40, "tebibytes": 1 << 40,
}
_LONG_MAX = (1 << 63) - 1


def _number_and_unit(s: str) -> tuple[str, str]:
    """Leading digits and the (lower-cased) unit after them, as Flink's size and duration parsers split."""
    pos = 0
    while pos < len(s) and "0" <= s[pos] <= "9":
        pos += 1
    number, unit = s[:pos], s[pos:].strip().lower()
    if not number:
        raise ValueError(f"{s!r} does not start with a number")
    return number, unit


def flink_memory_size(text: object) -> int:
    """Bytes of a Flink memory size: digits, then an optional unit (``1024m``, ``2 gb``, ``100``)."""
    s = str(text).strip()
    if not s:
        raise ValueError("empty memory size")
    number, unit = _number_and_unit(s)
    if unit not in _FLINK_UNITS:
        raise ValueError(f"memory size unit {unit!r} is not one of b, k, m, g, t (or kb, mb, gb, tb)")
    value = int(number) * _FLINK_UNITS[unit]
    if value > _LONG_MAX:
        raise ValueError(f"{s!r} overflows a 64-bit number of bytes")
    return value


# Kubernetes resource.Quantity: signed decimal, optional exponent or suffix.
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?")
_SUFFIX = {
    None: Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal(10**3),
    "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40), "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def k8s_quantity(text: object) -> Decimal:
    """Numeric amount of a Kubernetes quantity (``500m`` -> 0.5, ``2Gi`` -> 2147483648)."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a quantity")
    s = str(text).strip()
    m = _QUANTITY.fullmatch(s)
    if not m:
        raise ValueError(f"{s!r} is not a Kubernetes quantity (examples: 500m, 2, 1.5Gi, 2048Mi)")
    try:
        amount = Decimal(m.group(1))
        if m.group(2):
            return amount * (Decimal(10) ** int(m.group(2)[1:]))
        return amount * _SUFFIX[m.group(3)]
    except (InvalidOperation, OverflowError, ValueError):
        raise ValueError(f"{s!r} is not a Kubernetes quantity") from None


def resource_memory_bytes(text: object) -> Decimal:
    """The operator's ``ResourceConfigUtils.parseResourceMemoryString``: Flink syntax first, then
    Kubernetes quantity syntax (after upper-casing and dropping a trailing ``B``)."""
    try:
        return Decimal(flink_memory_size(text))
    except ValueError as flink_error:
        q = re.sub(r"\s", "", str(text).strip()).upper()
        if q.endswith("B"):
            q = q[:-1]
        if q.endswith("I"):
            q = q[:-1] + "i"
        try:
            return k8s_quantity(q)
        except ValueError:
            raise ValueError(f"{str(text).strip()!r} is neither a Flink memory size ({flink_error}) "
                             "nor a Kubernetes quantity") from None


_DURATION_UNITS = {
    "": 0.001, "ms": 0.001, "milli": 0.001, "millis": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
    "ns": 1e-9, "nano": 1e-9, "nanos": 1e-9, "nanosecond": 1e-9, "nanoseconds": 1e-9,
    "us": 1e-6, "\u00b5s": 1e-6, "micro": 1e-6, "micros": 1e-6, "microsecond": 1e-6, "microseconds": 1e-6,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}
_ISO = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.I)


def flink_duration(text: object) -> float:
    """Seconds of a Flink duration (``TimeUtils.parseDuration``): ``30 s``, ``5min``, ``1h``, ``500``
    (milliseconds), or ISO-8601 ``PT5M``."""
    s = str(text).strip()
    if not s:
        raise ValueError("empty duration")
    iso = _ISO.fullmatch(s)
    if iso and any(iso.groups()):
        d, h, m, sec = iso.groups()
        return int(d or 0) * 86400 + int(h or 0) * 3600 + int(m or 0) * 60 + float(sec or 0)
    number, unit = _number_and_unit(s)
    if unit not in _DURATION_UNITS:
        raise ValueError(f"time unit {unit!r} is not one of ms, s, min, h, d")
    return int(number) * _DURATION_UNITS[unit]


def format_seconds(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"
