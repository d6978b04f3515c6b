"""Identify a desk phone from one SNMP response: vendor, model, firmware, MAC.

Pure functions over plain data (values.py): no network, no pysnmp. Nothing here raises on bad
answers; a device that cannot be identified is returned as "unidentified" with the reason.

Rules:
- vendor: from the sysObjectID enterprise number (oids.ENTERPRISE_VENDORS), else from a vendor
  name in sysDescr;
- model, firmware, MAC (and hardware, IP): from the vendor's OIDs (oids.VENDOR_OIDS), each answer
  checked for type and shape, else parsed from sysDescr (e.g. `Yealink SIP-T46U 108.86.0.20
  80:5e:c0:aa:bb:cc` or `Grandstream Model HW GRP2614 SW 1.0.11.85 DevId c074ad112233`);
- identified = vendor, model and MAC known; a missing firmware is a note, not a failure.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, fields, replace
from typing import Literal

from ..phones import Vendor, load_catalog
from .oids import (
    ENTERPRISE_VENDORS,
    ENTERPRISES,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    VENDOR_OIDS,
    Field,
)
from .values import Response, SnmpValue

Status = Literal["identified", "unidentified", "silent"]

VENDOR_NAMES: dict[Vendor, re.Pattern[str]] = {
    "yealink": re.compile(r"\byealink\b", re.IGNORECASE),
    "grandstream": re.compile(r"\bgrandstream\b", re.IGNORECASE),
}
# A model token: letters then digits then an optional suffix (T46U, SIP-T54W, GRP2614, GXP2170).
_MODEL_TOKEN = re.compile(r"(?<![\w-])(?:SIP-?)?([A-Z]{1,4}\d{2,5}[A-Z]{0,3})(?![\w-])", re.I)
_MODEL_VALUE = re.compile(r"(?:SIP-?)?([A-Z0-9][A-Z0-9-]{1,23})", re.I)
_FIRMWARE_TOKEN = re.compile(r"(?<![\w.])(\d+(?:\.\d+){2,5})(?![\w.])")
_FIRMWARE_VALUE = re.compile(r"\d+(?:\.\d+){1,5}")
_MAC_TOKEN = re.compile(
    r"(?<![0-9A-F])((?:[0-9A-F]{2}[:-]){5}[0-9A-F]{2}|[0-9A-F]{12})(?![0-9A-Z])", re.I
)
_MAC_SEPARATORS = re.compile(r"[:.\- ]")
_HEX12 = re.compile(r"[0-9a-f]{12}")
_SHOWN = 60  # characters of sysDescr kept in messages
_MAC_BYTES = 6


@dataclass(frozen=True)
class Device:
    """What one address answered, or that it did not.

    `status` is identified (vendor, model and MAC known), unidentified (it answered, but not as
    a phone we can name; `reason` says why) or silent (no answer; `reason` says how long we
    waited). `notes` are oddities that did not prevent identification.
    """

    address: str
    status: Status
    vendor: Vendor | None = None
    model: str | None = None
    firmware: str | None = None
    mac: str | None = None  # lower-case hex, no separators
    hardware: str | None = None
    ip: str | None = None  # the address the phone reports for itself
    sys_descr: str | None = None
    sys_object_id: str | None = None
    sys_name: str | None = None
    uptime_s: int | None = None
    reason: str | None = None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        """JSON-ready; empty fields are left out."""
        out: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == ():
                continue
            out[item.name] = list(value) if isinstance(value, tuple) else value
        return out


def address_key(address: str) -> tuple[int, int]:
    """Sort key: IPv4 before IPv6, numerically."""
    parsed = ipaddress.ip_address(address)
    return (parsed.version, int(parsed))


def silent(address: str, reason: str) -> Device:
    return Device(address, "silent", reason=reason)


def unidentified(address: str, reason: str) -> Device:
    return Device(address, "unidentified", reason=reason)


def normalise_model(text: str) -> str | None:
    """`SIP-T46U`, `t46u`, ` T46U ` -> `T46U`; None if it is not shaped like a model name."""
    match = _MODEL_VALUE.fullmatch(text.strip())
    return match.group(1).upper() if match else None


def parse_mac(value: SnmpValue) -> tuple[str | None, str | None]:
    """(MAC, None) from 6 raw bytes or text like `80:5E:C0:AA:BB:CC`; else (None, problem)."""
    if value.type != "OCTET STRING" or not isinstance(value.data, bytes):
        return None, f"{value.describe()}, expected OCTET STRING"
    raw = value.data
    if (
        len(raw) == _MAC_BYTES
    ):  # the binary form (PhysAddress); text forms are at least 12 characters
        mac = raw.hex()
    else:
        text = raw.decode("ascii", "replace").strip()
        mac = _MAC_SEPARATORS.sub("", text).lower()
        if not _HEX12.fullmatch(mac):
            return None, f"{value.describe()} is not a MAC address"
    if mac in ("000000000000", "ffffffffffff"):
        return None, f"{value.describe()} is not a real MAC address"
    return mac, None


def identify(address: str, response: Response) -> Device:
    """Turn the response of one address into a Device (identified or unidentified)."""
    return _Identifier(address, response).run()


class _Identifier:
    def __init__(self, address: str, response: Response) -> None:
        self.address = address
        self.response = response
        self.notes: list[str] = []
        self.problems: list[str] = []  # why a required field is unknown, in order

    def run(self) -> Device:
        descr, descr_problem = _text(self.response.get(SYS_DESCR), "sysDescr")
        object_id, object_id_problem = _object_id(self.response.get(SYS_OBJECT_ID))
        sys_name, name_problem = _text(self.response.get(SYS_NAME), "sysName")
        uptime = self._uptime()
        if name_problem and "not in the response" not in name_problem:
            self.notes.append(name_problem)

        vendor = self._vendor(object_id, object_id_problem, descr, descr_problem)
        base = Device(
            self.address,
            "unidentified",
            sys_descr=descr,
            sys_object_id=object_id,
            sys_name=sys_name,
            uptime_s=uptime,
        )
        if vendor is None:
            return replace(base, reason="; ".join(self.problems), notes=tuple(self.notes))

        found = {name: self._vendor_field(vendor, name) for name in VENDOR_OIDS[vendor]}
        from_descr = _parse_descr(vendor, descr or "")
        model = found.get("model") or from_descr.get("model")
        firmware = found.get("firmware") or from_descr.get("firmware")
        mac = found.get("mac") or from_descr.get("mac")
        for name, value in (("model", model), ("MAC", mac)):
            if value is None:
                where = f"sysDescr {_shown(descr)}" if descr else "no sysDescr"
                self.problems.append(f"no {name} in the {vendor} OIDs nor in {where}")
        if model is None or mac is None:
            reason = f"{vendor} device without a usable model or MAC: " + "; ".join(self.problems)
            return replace(base, vendor=vendor, reason=reason, notes=tuple(self.notes))

        # Unusable answers for the model or MAC OIDs did not matter in the end: keep them as notes.
        self.notes += self.problems
        self._check_catalog(vendor, model, mac)
        if firmware is None:
            self.notes.append("firmware not reported")
        return replace(
            base,
            status="identified",
            vendor=vendor,
            model=model,
            firmware=firmware,
            mac=mac,
            hardware=found.get("hardware"),
            ip=found.get("ip"),
            notes=tuple(self.notes),
        )

    # ---- vendor ----------------------------------------------------------------------------

    def _vendor(
        self,
        object_id: str | None,
        object_id_problem: str | None,
        descr: str | None,
        descr_problem: str | None,
    ) -> Vendor | None:
        by_oid, oid_problem = _vendor_of_object_id(object_id)
        oid_problem = oid_problem or object_id_problem
        named = [v for v, pattern in VENDOR_NAMES.items() if descr and pattern.search(descr)]
        by_descr = named[0] if len(named) == 1 else None
        if by_oid is not None:
            if by_descr is not None and by_descr != by_oid:
                self.notes.append(
                    f"sysDescr names {by_descr}, sysObjectID {by_oid}: trusted the OID"
                )
            return by_oid
        if by_descr is not None:
            self.notes.append(f"{oid_problem}; vendor taken from sysDescr")
            return by_descr
        if descr_problem is None:
            descr_problem = f"sysDescr {_shown(descr)} names no known phone vendor"
        self.problems.append(f"not a known phone: {oid_problem}; {descr_problem}")
        return None

    # ---- vendor OIDs -----------------------------------------------------------------------

    def _vendor_field(self, vendor: Vendor, name: Field) -> str | None:
        """The first usable answer among the field's OIDs; unusable answers become problems."""
        for oid in VENDOR_OIDS[vendor][name]:
            value = self.response.get(oid)
            if value is None or value.absent:
                continue
            parsed, problem = _parse_field(name, value)
            if parsed is not None:
                return parsed
            message = f"{name} OID {oid}: {problem}"
            (self.problems if name in ("model", "mac") else self.notes).append(message)
        return None

    def _uptime(self) -> int | None:
        value = self.response.get(SYS_UPTIME)
        if value is None or value.absent:
            return None
        if value.type == "TimeTicks" and isinstance(value.data, int):
            return value.data // 100
        self.notes.append(f"sysUpTime is {value.describe()}, expected TimeTicks")
        return None

    def _check_catalog(self, vendor: Vendor, model: str, mac: str) -> None:
        catalog = load_catalog()
        if model not in catalog.models.get(vendor, {}):
            self.notes.append(f"model {model} is not in the {vendor} catalog")
        if mac[:6] not in catalog.ouis.get(vendor, frozenset()):
            self.notes.append(f"MAC prefix {mac[:6]} is not one of the {vendor} OUIs")


def _shown(text: str | None) -> str:
    if text is None:
        return "(none)"
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "...")


def _text(value: SnmpValue | None, label: str) -> tuple[str | None, str | None]:
    """Printable text of an OCTET STRING, else (None, why not)."""
    if value is None:
        return None, f"{label}: not in the response"
    if value.absent:
        return None, f"{label}: {value.type}"
    if value.type != "OCTET STRING" or not isinstance(value.data, bytes):
        return None, f"{label} is {value.describe()}, expected OCTET STRING"
    try:
        text = value.data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, f"{label} is {value.describe()}, not text"
    if not text:
        return None, f"{label} is empty"
    if not text.isprintable():
        return None, f"{label} is {value.describe()}, not printable text"
    return text, None


def _object_id(value: SnmpValue | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, "sysObjectID: not in the response"
    if value.absent:
        return None, f"sysObjectID: {value.type}"
    if value.type != "OBJECT IDENTIFIER" or not isinstance(value.data, str):
        return None, f"sysObjectID is {value.describe()}, expected OBJECT IDENTIFIER"
    return value.data, None


def _vendor_of_object_id(object_id: str | None) -> tuple[Vendor | None, str | None]:
    if object_id is None:
        return None, None
    prefix = ENTERPRISES + "."
    if not object_id.startswith(prefix):
        return None, f"sysObjectID {object_id} is not under enterprises ({ENTERPRISES})"
    number = int(object_id[len(prefix) :].split(".")[0])
    vendor = ENTERPRISE_VENDORS.get(number)
    if vendor is None:
        known = ", ".join(f"{v} {n}" for n, v in sorted(ENTERPRISE_VENDORS.items()))
        return None, (
            f"sysObjectID {object_id} is enterprise {number}, not a phone vendor's ({known})"
        )
    return vendor, None


def _parse_field(name: Field, value: SnmpValue) -> tuple[str | None, str | None]:
    if name == "mac":
        return parse_mac(value)
    if name == "ip" and value.type == "IpAddress" and isinstance(value.data, str):
        return value.data, None
    text, problem = _text(value, "value")
    if text is None:
        return None, problem
    if name == "model":
        model = normalise_model(text)
        return (model, None) if model else (None, f"{_shown(text)} is not a model name")
    if name == "firmware":
        ok = _FIRMWARE_VALUE.fullmatch(text)
        return (text, None) if ok else (None, f"{_shown(text)} is not a firmware version")
    if name == "ip":
        try:
            return str(ipaddress.ip_address(text)), None
        except ValueError:
            return None, f"{_shown(text)} is not an IP address"
    return text, None  # hardware: free text


def _parse_descr(vendor: Vendor, descr: str) -> dict[str, str]:
    """Model, firmware and MAC found in sysDescr.

    When sysDescr names the vendor, the text after the name is read like a User-Agent. When it
    does not (e.g. `Linux GRP2614 4.9.118 ...`), only a catalog model and a MAC are taken: the
    first version number there is more likely the kernel's than the firmware's.
    """
    name = VENDOR_NAMES[vendor].search(descr)
    text = descr[name.end() :] if name else descr
    out: dict[str, str] = {}
    models = [m.upper() for m in _MODEL_TOKEN.findall(text)]
    known = load_catalog().models.get(vendor, {})
    model = next((m for m in models if m in known), models[0] if models and name else None)
    if model:
        out["model"] = model
    if name and (firmware := _FIRMWARE_TOKEN.search(text)):
        out["firmware"] = firmware.group(1)
    for token in _MAC_TOKEN.findall(text):
        mac, _ = parse_mac(SnmpValue.octets(token))
        if mac:
            out["mac"] = mac
            break
    return out
