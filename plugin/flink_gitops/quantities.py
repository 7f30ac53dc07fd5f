"""Sizes, counts and durations as users write them, with absurd values refused as bad input.

A number from a flag, a parameter or the sidecar's environment is checked here once: its form,
and a largest value past which it can only be a mistake (and past which Python would overflow a
buffer size, a thread timeout or the int/str conversion limit instead of saying so). Imports
only ``re``: it sits on the render path.
"""

from __future__ import annotations

import re

from flink_gitops.errors import Problem, UserError

#: The largest size accepted anywhere: far past any manifest, still a size Python can allocate.
MAX_SIZE = 1 << 40
#: The largest count accepted anywhere.
MAX_COUNT = 1_000_000_000
#: The longest duration accepted by default (a week): longer is a typo, not a plan.
MAX_DURATION_SECONDS = 7 * 24 * 3600.0

_SIZE = re.compile(r"([0-9]+)\s*(Ki|Mi|Gi|Ti)?")
_UNITS = {None: 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}
_COUNT = re.compile(r"[0-9]+")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
#: Digits past which a number is too large whatever its unit (and int() of it would be slow, or refused).
_MAX_DIGITS = 18
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def format_size(n: int) -> str:
    """``16Mi`` for 16 MiB, ``1000`` for 1000 bytes: the shortest exact form parse_size reads back."""
    for unit in ("Ti", "Gi", "Mi", "Ki"):
        if n and n % _UNITS[unit] == 0:
            return f"{n // _UNITS[unit]}{unit}"
    return str(n)


def format_duration(seconds: float) -> str:
    return f"{seconds:g}s"


def parse_size(text: str, origin: str) -> int:
    """Bytes in ``text``: ``1048576``, ``512Ki``, ``16Mi``, ``1Gi``. ``origin`` names where it came from."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise UserError(Problem(f"{_quoted(text)} is not a size (examples: 1048576, 512Ki, 16Mi)", file=origin))
    digits = m.group(1).lstrip("0")
    value = MAX_SIZE + 1 if len(digits) > _MAX_DIGITS else int(digits or "0") * _UNITS[m.group(2)]
    if value > MAX_SIZE:
        raise UserError(Problem(f"{_quoted(text)} is above the largest size accepted, {format_size(MAX_SIZE)}", file=origin))
    return value


def parse_count(text: str, origin: str) -> int:
    m = _COUNT.fullmatch(text.strip())
    if not m:
        raise UserError(Problem(f"{_quoted(text)} is not a whole number (example: 20000)", file=origin))
    digits = m.group(0).lstrip("0")
    value = MAX_COUNT + 1 if len(digits) > _MAX_DIGITS else int(digits or "0")
    if value > MAX_COUNT:
        raise UserError(Problem(f"{_quoted(text)} is above the largest number accepted, {MAX_COUNT:,}", file=origin))
    return value


def parse_duration(text: str, origin: str, maximum: float = MAX_DURATION_SECONDS) -> float:
    """Seconds in ``text``: ``90``, ``30s``, ``10m``, ``1h30m``, ``500ms`` (kubectl's forms), at most ``maximum``."""
    stripped = text.strip()
    if _SECONDS.fullmatch(stripped):
        seconds = float(stripped)
    else:
        parts = _DURATION_PART.findall(stripped)
        if not parts or "".join(n + u for n, u in parts) != stripped:
            raise UserError(Problem(f"{_quoted(text)} is not a duration (e.g. 90s, 10m, 1h30m)", file=origin))
        seconds = sum(float(n) * _SCALE[u] for n, u in parts)
    if seconds > maximum:
        raise UserError(Problem(f"{_quoted(text)} is longer than the longest accepted, {_hours(maximum)}", file=origin))
    return seconds


def _quoted(text: str) -> str:
    """The value as the user wrote it, cut short if it is absurdly long."""
    return repr(text if len(text) <= 40 else text[:30] + "..." + text[-6:])


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds >= 3600 else format_duration(seconds)
