"""SNMP values as plain data, so that identification can be tested without an agent.

The sweep turns every pysnmp/pyasn1 object of a response into a `SnmpValue`; everything past the
sweep (devices.py, comparison.py) only ever sees these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# SMI type names as the standards spell them; they appear in "wrong type" reasons.
SnmpType = Literal[
    "OCTET STRING",
    "OBJECT IDENTIFIER",
    "INTEGER",
    "IpAddress",
    "Counter32",
    "Gauge32",
    "TimeTicks",
    "Opaque",
    "Counter64",
    "NULL",
    "noSuchObject",
    "noSuchInstance",
    "endOfMibView",
]
# What an agent answers for an OID it does not have (or a Null placeholder).
ABSENT_TYPES: frozenset[SnmpType] = frozenset(
    {"NULL", "noSuchObject", "noSuchInstance", "endOfMibView"}
)
_SHOWN = 40  # characters of a value kept in messages


@dataclass(frozen=True)
class SnmpValue:
    """One value of a response: its SMI type and its content.

    `data` is bytes for OCTET STRING and Opaque, int for the numeric types, a dotted string for
    OBJECT IDENTIFIER and IpAddress, and None for the absent markers.
    """

    type: SnmpType
    data: bytes | int | str | None = None

    @property
    def absent(self) -> bool:
        return self.type in ABSENT_TYPES

    def describe(self) -> str:
        """A short, safe rendering for messages (at most _SHOWN characters of content)."""
        if self.data is None:
            return self.type
        if isinstance(self.data, bytes):
            if all(0x20 <= byte < 0x7F for byte in self.data):  # noqa: PLR2004  # printable ASCII
                text = self.data.decode("ascii")
                shown = text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
                return f"{self.type} {shown!r}"
            hexed = self.data.hex()
            return f"{self.type} 0x{hexed if len(hexed) <= _SHOWN else hexed[:_SHOWN] + '...'}"
        return f"{self.type} {self.data}"

    # Constructors for tests and for the sweep's conversion.
    @classmethod
    def octets(cls, data: bytes | str) -> SnmpValue:
        return cls("OCTET STRING", data.encode("utf-8") if isinstance(data, str) else data)

    @classmethod
    def oid(cls, dotted: str) -> SnmpValue:
        return cls("OBJECT IDENTIFIER", dotted)

    @classmethod
    def integer(cls, number: int) -> SnmpValue:
        return cls("INTEGER", number)

    @classmethod
    def timeticks(cls, ticks: int) -> SnmpValue:
        return cls("TimeTicks", ticks)

    @classmethod
    def missing(cls) -> SnmpValue:
        return cls("noSuchObject")


# A response: OID (dotted, no leading dot) -> value.
Response = dict[str, SnmpValue]
