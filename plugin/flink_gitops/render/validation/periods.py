"""``job.autoscaler.excluded.periods``: the autoscaler's ``CalendarUtils.validateExcludedExpression``.

An expression is a daily range ``HH:MM[:SS]-HH:MM[:SS]`` (start strictly before end, Quartz
``DailyCalendar``), a Quartz cron expression, or one of each joined by ``&&``. The cron check is a
close approximation of Quartz's ``CronExpression`` grammar (fields, ranges, steps, names,
``? L W #`` specials, one of day-of-month / day-of-week must be ``?``).
"""

from __future__ import annotations

import re

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split(), 1)}
# (low, high, names) for seconds, minutes, hours, day-of-month, month, day-of-week, year
_FIELDS = ((0, 59, None), (0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (1, 7, _DAYS),
           (1970, 2199, None))


def _daily(expr: str) -> bool:
    parts = expr.split("-")
    if len(parts) != 2:
        return False
    times = []
    for part in parts:
        fields = part.strip().split(":")
        if not 2 <= len(fields) <= 4 or not all(re.fullmatch(r"\d+", f) for f in fields):
            return False
        values = [int(f) for f in fields] + [0] * (4 - len(fields))
        h, m, s, ms = values
        if not (0 <= h <= 23 and 0 <= m <= 59 and 0 <= s <= 59 and 0 <= ms <= 999):
            return False
        times.append(values)
    return times[0] < times[1]


def _value(token: str, low: int, high: int, names: dict | None) -> int | None:
    if names and token.upper() in names:
        return names[token.upper()]
    if re.fullmatch(r"\d+", token):
        v = int(token)
        return v if low <= v <= high else None
    return None


def _field_ok(text: str, index: int) -> bool:
    low, high, names = _FIELDS[index]
    if text == "?":
        return index in (3, 5)
    for item in text.split(","):
        if not item:
            return False
        if index == 3 and re.fullmatch(r"L(-\d{1,2})?W?|LW|\d{1,2}W", item, re.I):
            if re.match(r"\d", item) and not 1 <= int(item[:-1]) <= 31:
                return False
            continue
        if index == 5:
            m = re.fullmatch(r"(\w+)(#[1-5]|L)", item, re.I)
            if m:
                if _value(m.group(1), low, high, names) is None:
                    return False
                continue
            if item.upper() == "L":
                continue
        base, _, step = item.partition("/")
        if step and (not re.fullmatch(r"\d+", step) or int(step) == 0):
            return False
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        if _value(start, low, high, names) is None:
            return False
        if dash and _value(end, low, high, names) is None:
            return False
    return True


def cron_ok(expr: str) -> bool:
    fields = expr.split()
    if len(fields) not in (6, 7):
        return False
    if not all(_field_ok(f, i) for i, f in enumerate(fields)):
        return False
    # Quartz: "support for specifying both a day-of-week AND a day-of-month parameter is not implemented"
    return (fields[3] == "?") != (fields[5] == "?")


def excluded_period_error(expression: str, key: str) -> str | None:
    """The autoscaler's message for one bad expression, or None when it is valid."""
    subs = expression.split("&&")
    if len(subs) > 2:
        return f"Invalid value {expression} in the autoscaler config {key}"
    kinds = []
    for sub in subs:
        sub = sub.strip()
        daily, cron = _daily(sub), cron_ok(sub)
        if not daily and not cron:
            return (f"Invalid value {expression} in the autoscaler config {key}, the value is neither a valid daily "
                    "expression nor a valid cron expression")
        kinds.append((daily, cron))
    if len(subs) == 2 and not (any(d for d, _ in kinds) and any(c for _, c in kinds)):
        return (f"Invalid value {expression} in the autoscaler config {key}, the value can not be configured as "
                "dailyExpression && dailyExpression or cronExpression && cronExpression")
    return None
