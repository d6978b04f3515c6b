"""SNMP discovery of desk phones: sweep an address block, identify phones, compare with inventory.

    >>> from citypbx.snmp import Community, compare, expected_phones
    >>> from citypbx.snmp.sweep import run_sweep
    >>> result = run_sweep("127.0.1.0/24", Community.from_file("lab-community"))  # doctest: +SKIP
    >>> compare(result.devices, expected_phones(company, "kazan")).findings  # doctest: +SKIP

The sweep itself (citypbx.snmp.sweep, which imports pysnmp) is not imported here, so that the
rest of the package and the `citypbx` CLI start without loading pysnmp.
"""

from .community import Community, CommunityError
from .comparison import (
    Comparison,
    ExpectedPhone,
    Finding,
    FindingKind,
    SiteError,
    catalog_firmware_pins,
    compare,
    expected_phones,
)
from .devices import Device, Status, identify, normalise_model, parse_mac
from .result import SweepResult
from .values import Response, SnmpValue

__all__ = [
    "Community",
    "CommunityError",
    "Comparison",
    "Device",
    "ExpectedPhone",
    "Finding",
    "FindingKind",
    "Response",
    "SiteError",
    "SnmpValue",
    "Status",
    "SweepResult",
    "catalog_firmware_pins",
    "compare",
    "expected_phones",
    "identify",
    "normalise_model",
    "parse_mac",
]
