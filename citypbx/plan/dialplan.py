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
    """A dial pattern staff use and how what was dialled becomes E.164: drop the first STRIP
    digits, put PREFIX in front. What class the number is, and so whether the caller may
    dial it, is the numbering plan's business (citypbx/inventory/numbering.py)."""

    pattern: str
    strip: int
    prefix: str

    @property
    def e164(self) -> str:
        """The dialplan expression of the E.164 number (`+7${EXTEN:1}`)."""
        return f"{self.prefix}${{EXTEN:{self.strip}}}" if self.strip else f"{self.prefix}${{EXTEN}}"

    def matches(self, dialled: str) -> bool:
        """Whether DIALLED matches the pattern as Asterisk matches it (X, Z, N, [...] and
        literal characters; the patterns here have strict lengths, no `.` or `!`)."""
        return pattern_matches(self.pattern, dialled)

    def e164_of(self, dialled: str) -> str:
        return self.prefix + dialled[self.strip :]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    if not pattern.startswith("_"):
        return re.compile(re.escape(pattern))
    if any(char in pattern for char in ".!"):
        raise ValueError(f"{pattern}: open-ended patterns are not used here")
    sets = (
        "[" + "".join(re.escape(c) for c in _class_chars(p)) + "]" for p in _pattern_parts(pattern)
    )
    return re.compile("".join(sets))


def pattern_can_match(pattern: str, dialled: str) -> bool:
    """Whether more digits after DIALLED could make PATTERN match (Asterisk's "can match":
    a phone that sent DIALLED gets 484 Address Incomplete rather than 404)."""
    if not pattern.startswith("_"):
        return len(pattern) > len(dialled) and pattern.startswith(dialled)
    parts = _pattern_parts(pattern)
    if len(parts) <= len(dialled):
        return False
    return all(char in _class_chars(part) for char, part in zip(dialled, parts, strict=False))


def pattern_matches(pattern: str, dialled: str) -> bool:
    """Whether an Asterisk extension PATTERN (strict length) matches DIALLED."""
    return _pattern_regex(pattern).fullmatch(dialled) is not None


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


def international_number(e164: str, number_format: str) -> str:
    """A number outside +7 as an operator with NUMBER_FORMAT dials it (the 8-10 prefix)."""
    return e164 if number_format == "e164" else "810" + e164[1:]


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


def destination_target(destination: Destination, city: str = "") -> str:
    """The dialplan ``context,extension,priority`` a destination sends a call to (CITY: the
    slug of the city whose trunks an external forward leaves through)."""
    if destination.kind == "external":
        if not city:
            raise ValueError("an external destination needs the city it leaves from")
        return f"citypbx-forward-{city},{destination.target},1"
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
        DialPattern("_8XXXXXXXXXX", 1, "+7"),
        DialPattern("_+7XXXXXXXXXX", 0, ""),
        DialPattern("_XXXXXXXXXX", 0, "+7"),
        DialPattern("_" + "X" * local_length, 0, f"+7{area_code}"),
    ]
    for digits in _INTL_DIGITS:
        patterns.append(DialPattern("_810" + "X" * digits, 3, "+"))
        patterns.append(DialPattern("_+[1-689]" + "X" * (digits - 1), 0, ""))
    return patterns


def pattern_order_key(pattern: str) -> tuple[tuple[int, str], ...]:
    """Asterisk's preference between patterns that match the same number: at the first
    position where they differ, the one matching fewer characters wins (a literal before
    `N` before `Z` before `X`)."""
    return tuple((len(_class_chars(part)), part) for part in _pattern_parts(pattern))


def _pattern_parts(pattern: str) -> list[str]:
    body = pattern[1:] if pattern.startswith("_") else pattern
    parts, i = [], 0
    while i < len(body):
        if body[i] == "[":
            end = body.index("]", i)
            parts.append(body[i : end + 1])
            i = end + 1
        else:
            parts.append(body[i])
            i += 1
    return parts


def _class_chars(part: str) -> str:
    if part.startswith("["):
        inner, chars = part[1:-1], ""
        for match in re.finditer(r"(.)-(.)|(.)", inner):
            if match[3] is not None:
                chars += match[3]
            else:
                chars += "".join(chr(c) for c in range(ord(match[1]), ord(match[2]) + 1))
        return chars
    return {"X": "0123456789", "Z": "123456789", "N": "23456789"}.get(part.upper(), part)
