"""What the sweep asks a device, as data: correcting an OID is a one-line change here.

Sources (see ../shared/PHONES.md in the project notes):
- MIB-II `system` group (RFC 1213 / SNMPv2-MIB): the safe baseline every agent answers.
- Yealink: enterprise 37459. An OEM guide lists `1.3.6.1.2.1.37459.2.1.<n>.0` (n = 5 firmware,
  6 hardware, 7 model, 8 MAC, 9 IP) -- under mib-2, which looks like a slip for the enterprises
  arc 1.3.6.1.4.1.37459. Marked "verify": both arcs are asked in the same request (a GET of an
  OID the agent lacks costs nothing) and the documented one wins when both answer.
- Grandstream: enterprise 42397. No phone MIB is published; the OIDs below follow the layout of
  Grandstream's HT (ATA) MIB (`1.3.6.1.4.1.42397.1.2`: 1.0 part number, 3.2.0 core version) and
  the MAC OID is a guess. They are leads only: the sysDescr fallback (devices.py) covers
  phones that do not answer them.
Every vendor OID is a candidate, never trusted: devices.py checks the type and the shape of
each answer and falls back to sysDescr.
"""

from __future__ import annotations

from typing import Literal

from ..phones import Vendor

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
MIB2_SYSTEM = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)

# sysObjectID values of vendors live under iso.org.dod.internet.private.enterprises.<number>.
ENTERPRISES = "1.3.6.1.4.1"
ENTERPRISE_VENDORS: dict[int, Vendor] = {
    37459: "yealink",
    42397: "grandstream",
}

Field = Literal["model", "firmware", "hardware", "mac", "ip"]

# Per vendor and field, the OIDs to ask, best first.
VENDOR_OIDS: dict[Vendor, dict[Field, tuple[str, ...]]] = {
    "yealink": {
        "firmware": ("1.3.6.1.2.1.37459.2.1.5.0", "1.3.6.1.4.1.37459.2.1.5.0"),
        "hardware": ("1.3.6.1.2.1.37459.2.1.6.0", "1.3.6.1.4.1.37459.2.1.6.0"),
        "model": ("1.3.6.1.2.1.37459.2.1.7.0", "1.3.6.1.4.1.37459.2.1.7.0"),
        "mac": ("1.3.6.1.2.1.37459.2.1.8.0", "1.3.6.1.4.1.37459.2.1.8.0"),
        "ip": ("1.3.6.1.2.1.37459.2.1.9.0", "1.3.6.1.4.1.37459.2.1.9.0"),
    },
    "grandstream": {
        "model": ("1.3.6.1.4.1.42397.1.2.1.0",),  # HT MIB: part number (verify on a phone)
        "firmware": ("1.3.6.1.4.1.42397.1.2.3.2.0",),  # HT MIB: core version (verify)
        "mac": ("1.3.6.1.4.1.42397.1.2.4.2.0",),  # guess (verify)
    },
}


def request_oids() -> tuple[str, ...]:
    """Every OID of one sweep request: MIB-II system first, then each vendor's, no repeats."""
    vendor_oids = (
        oid for fields in VENDOR_OIDS.values() for oids in fields.values() for oid in oids
    )
    return tuple(dict.fromkeys((*MIB2_SYSTEM, *vendor_oids)))
