"""Findings of the validator: one line each, `<file>: <key path>: <what is wrong>; <how to fix>`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

# A key path inside a YAML file: mapping keys and list indexes, outermost first.
Loc = tuple[object, ...]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SHOWN_CHARS = 60  # longer user values are cut in messages


def format_loc(loc: Loc) -> str:
    """`("citypbx_city_kazan", "trunks", 0, "id")` -> `citypbx_city_kazan.trunks[0].id`.

    Keys that are not plain names (host names with dots, odd keys) are JSON-quoted in brackets,
    so a path never contains a bare `: ` and the line stays parseable.
    """
    if not loc:
        return "(file)"
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part if isinstance(part, str) else repr(part))}]"
    return out


def _loc_sort_key(loc: Loc) -> tuple[tuple[int, int, str], ...]:
    # Indexes sort numerically and before keys, so [2] comes before [10].
    return tuple(
        (0, part, "") if isinstance(part, int) and not isinstance(part, bool) else (1, 0, str(part))
        for part in loc
    )


@dataclass(frozen=True)
class Issue:
    """One error or warning. `file` is relative to the inventory directory (POSIX style)."""

    file: str
    loc: Loc
    message: str

    def __post_init__(self) -> None:
        # One finding = one line, whatever text (YAML errors, user values) went into it.
        object.__setattr__(self, "message", " ".join(self.message.split()))

    @property
    def path(self) -> str:
        return format_loc(self.loc)

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"

    def sort_key(self) -> tuple[str, tuple[tuple[int, int, str], ...], str]:
        return (self.file, _loc_sort_key(self.loc), self.message)

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "message": self.message}


def sorted_issues(issues: list[Issue]) -> tuple[Issue, ...]:
    """Deduplicated, in a stable order: by file, then key path (indexes numerically), then text."""
    return tuple(sorted(set(issues), key=Issue.sort_key))


def show(value: object) -> str:
    """A short, single-line rendering of a user value for messages."""
    if value is None:
        return "nothing (empty value)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        text = value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 3] + "..."
        return f"string {text!r}"
    if isinstance(value, date):
        return f"date {value.isoformat()}"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_HINTS = {
    "a string": "quote the value",
    "an integer": "write a plain whole number without quotes",
    "true or false": "write true or false without quotes",
    "a list": "write a YAML list, one '- item' per line",
    "a mapping": "write a YAML mapping, one 'key: value' per line",
}


def wrong_type(expected: str, value: object, *, secret: bool = False) -> str:
    """Message for a value of the wrong YAML type; never echoes secret values."""
    got = "a value" if secret and value is not None else show(value)
    hint = _HINTS.get(expected, "fix the value")
    if expected == "a string" and isinstance(value, int | float) and not isinstance(value, bool):
        hint = f'quote it: "{value}" (YAML reads unquoted digits as a number)'
    return f"expected {expected}, got {got}; {hint}"
