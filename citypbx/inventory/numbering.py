"""The numbering plan: what kind of number a dialled number is, and so what it may cost.

Zone 7 (+7: Russia and Kazakhstan) is classified by a table of national-number prefixes
(citypbx/data/numbering-zone7.yml), derived from the metadata of the `phonenumbers` library
(Google's libphonenumber) by `make numbering`; tests/unit/test_numbering.py keeps the table
honest against the library. Every other country code is international.

The same table drives the dialplan (the context `citypbx-numbering`), `citypbx route`, the
validator's area-code check and the reports, so they cannot disagree about a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

import yaml

#: What the table says of a +7 national-number prefix. `fixed` becomes `local` or `national`
#: for a given city (its own area codes are local).
ZoneClass = Literal["fixed", "mobile", "tollfree", "premium", "international", "invalid"]
ZONE_CLASSES: tuple[str, ...] = get_args(ZoneClass)

#: The class of a dialled number, as the dialplan writes it to CDR(class) and the reports
#: price it. `emergency` and `internal` are always reachable and never refused; `invalid` is
#: never reachable; the others are reached as the class of service allows.
NumberClass = Literal[
    "emergency",
    "internal",
    "local",
    "national",
    "mobile",
    "tollfree",
    "premium",
    "international",
    "invalid",
]
NUMBER_CLASSES: tuple[str, ...] = get_args(NumberClass)
#: The classes a class of service decides about (what its list in the ladder may name).
OutboundClass = Literal["local", "national", "mobile", "tollfree", "premium", "international"]
OUTBOUND_CLASSES: tuple[str, ...] = get_args(OutboundClass)

#: A Russian (zone 7) national number has 10 digits after +7.
NATIONAL_DIGITS = 10
TABLE = "numbering-zone7.yml"


@dataclass(frozen=True)
class ZoneTable:
    """Prefix (digits after +7) -> class. Every 10-digit national number has exactly one
    longest matching prefix: the table covers the whole zone."""

    source: str
    prefixes: Mapping[str, ZoneClass]

    def lookup(self, national: str) -> tuple[str, ZoneClass]:
        """The longest prefix of NATIONAL (10 digits) in the table, and its class."""
        for length in range(len(national), -1, -1):
            found = self.prefixes.get(national[:length])
            if found is not None:
                return national[:length], found
        return "", "invalid"

    def fixed_codes(self) -> frozenset[str]:
        """Prefixes classed as fixed (geographic) numbers."""
        return frozenset(p for p, c in self.prefixes.items() if c == "fixed")


@cache
def zone_table() -> ZoneTable:
    """The committed zone 7 table (citypbx/data/numbering-zone7.yml)."""
    text = resources.files("citypbx").joinpath("data", TABLE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    prefixes = {str(prefix): cls for prefix, cls in data["prefixes"].items()}
    unknown = sorted({c for c in prefixes.values() if c not in ZONE_CLASSES})
    if unknown:
        raise ValueError(f"{TABLE}: unknown classes {unknown}; regenerate it (make numbering)")
    return ZoneTable(source=str(data["source"]), prefixes=prefixes)


def is_geographic(code: str) -> bool:
    """Whether every number of area CODE (3 to 5 digits after +7) is a fixed geographic
    number in the plan (the codes a city can have)."""
    if not code.isascii() or not code.isdigit() or not 3 <= len(code) <= 5:  # noqa: PLR2004
        return False
    table = zone_table()
    _, cls = table.lookup(code.ljust(NATIONAL_DIGITS, "0"))
    if cls != "fixed":
        return False
    # No deeper prefix below CODE may be anything else.
    return all(c == "fixed" for p, c in table.prefixes.items() if p.startswith(code))


def classify(e164: str, local_codes: Iterable[str] = ()) -> NumberClass:
    """The class of E.164 number E164 for a caller whose city has LOCAL_CODES."""
    if not e164.startswith("+") or not e164[1:].isascii() or not e164[1:].isdigit():
        return "invalid"
    if not e164.startswith("+7"):
        # Country codes start 1-9 (+7 aside); E.164 numbers have 7 to 15 digits.
        ok = e164[1] != "0" and 8 <= len(e164) <= 16  # noqa: PLR2004
        return "international" if ok else "invalid"
    national = e164[2:]
    if len(national) != NATIONAL_DIGITS:
        return "invalid"
    _, cls = zone_table().lookup(national)
    if cls == "fixed":
        return "local" if any(national.startswith(c) for c in local_codes) else "national"
    return cls


def zone_patterns() -> list[tuple[str, ZoneClass]]:
    """The table as Asterisk extension patterns over E.164 (`_+7843XXXXXXX`), in prefix order."""
    table = zone_table()
    return [
        (f"_+7{prefix}" + "X" * (NATIONAL_DIGITS - len(prefix)), cls)
        for prefix, cls in sorted(table.prefixes.items())
    ]
