"""Dialplan derivations: number formats per operator, GotoIfTime specs, destination targets,
dial patterns. Pure functions over typed values, unit-tested in tests/unit/test_routing.py."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..inventory.types import DAYS, Destination, HoursRule

# Emergency services (112 and the 101-104 short numbers): never refused.
EMERGENCY_NUMBERS = ("101", "102", "103", "104", "112")
# International numbers: E.164 allows up to 15 digits after the country code's "+".
_INTL_DIGITS = range(7, 16)
_MINUTES_PER_HOUR = 60
_END_OF_DAY = 24 * _MINUTES_PER_HOUR


@dataclass(frozen=True)
class HoursSpec:
    """One working-hours rule as GotoIfTime writes it: `09:00-19:59` and `mon-fri`."""

    times: str
    days: str


@dataclass(frozen=True)
class DialPattern:
    """A dial pattern staff use, the E.164 expression of what was dialled, and whether it is
    international (which class of service it needs is decided in the dialplan)."""

    pattern: str
    e164: str
    intl: bool = False


def format_number(e164: str, number_format: str) -> str:
    """A Russian E.164 number (+7XXXXXXXXXX) as an operator with NUMBER_FORMAT writes it."""
    national = e164[2:]
    return {
        "e164": e164,
        "11d8": "8" + national,
        "11d7": "7" + national,
        "10d": national,
    }[number_format]


def number_expression(variable: str, number_format: str) -> str:
    """Dialplan expression giving ``${VARIABLE}`` (a +7 E.164 number) in NUMBER_FORMAT."""
    return {
        "e164": f"${{{variable}}}",
        "11d8": f"8${{{variable}:2}}",
        "11d7": f"${{{variable}:1}}",
        "10d": f"${{{variable}:2}}",
    }[number_format]


def international_expression(variable: str, number_format: str) -> str:
    """Dialplan expression giving ``${VARIABLE}`` (+<country><number>) as the operator dials it."""
    return f"${{{variable}}}" if number_format == "e164" else f"810${{{variable}:1}}"


def dialplan_text(text: str) -> str:
    """TEXT made safe inside dialplan arguments (no separators, variables or quotes)."""
    return re.sub(r"[^\w .'-]", "", text).strip()


def _days_spec(days: Iterable[int]) -> str:
    """Weekday numbers (0 = Monday) as GotoIfTime days: ranges joined with '&'."""
    ordered = sorted(days)
    parts: list[str] = []
    start = previous = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == previous + 1:
            previous = day
            continue
        parts.append(DAYS[start] if start == previous else f"{DAYS[start]}-{DAYS[previous]}")
        if day is not None:
            start = previous = day
    return "&".join(parts)


def _clock(minutes: int) -> str:
    # GotoIfTime's ranges include their last minute: 24:00 is written 23:59.
    minutes = min(minutes, _END_OF_DAY - 1)
    return f"{minutes // _MINUTES_PER_HOUR:02d}:{minutes % _MINUTES_PER_HOUR:02d}"


def hours_specs(rules: Iterable[HoursRule]) -> list[HoursSpec]:
    """Working-hours rules as GotoIfTime time and weekday specs."""
    specs = []
    for rule in rules:
        end = rule.end - 1 if rule.end < _END_OF_DAY else rule.end
        specs.append(HoursSpec(f"{_clock(rule.start)}-{_clock(end)}", _days_spec(rule.days)))
    return specs


def destination_target(destination: Destination) -> str:
    """The dialplan ``context,extension,priority`` a destination sends a call to."""
    if destination.kind == "salon":
        return f"citypbx-salon-{destination.target},s,1"
    if destination.kind == "voicemail":
        return f"citypbx-voicemail-{destination.target},s,1"
    if destination.kind == "menu":
        return f"citypbx-menu-{destination.target},s,1"
    if destination.kind == "extension":
        return f"citypbx-internal,{destination.target},1"
    return "citypbx-hangup,s,1"


def outbound_patterns(area_code: str) -> list[DialPattern]:
    """Dial patterns staff use, each with the E.164 expression of the number.

    Strict lengths only (no ``.`` or ``!``), so nothing else can ride along in ${EXTEN}.
    """
    local_length = 10 - len(area_code)
    patterns = [
        DialPattern("_8XXXXXXXXXX", "+7${EXTEN:1}"),
        DialPattern("_+7XXXXXXXXXX", "${EXTEN}"),
        DialPattern("_XXXXXXXXXX", "+7${EXTEN}"),
        DialPattern("_" + "X" * local_length, f"+7{area_code}${{EXTEN}}"),
    ]
    for digits in _INTL_DIGITS:
        patterns.append(DialPattern("_810" + "X" * digits, "+${EXTEN:3}", intl=True))
        patterns.append(DialPattern("_+[1-689]" + "X" * (digits - 1), "${EXTEN}", intl=True))
    return patterns
