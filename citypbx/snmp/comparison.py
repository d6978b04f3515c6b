"""Compare what a sweep found with the phones the inventory expects at a site.

Phones are matched by MAC. Findings:
- missing         in the inventory, not found (it may be off, unplugged, or silent on SNMP);
- unknown         found, not in the inventory (a phone that should not be there, or a typo);
- wrong_model     same MAC, another vendor or model than the inventory says;
- wrong_firmware  same MAC and model, another firmware than the one pinned for the model (in
                  the catalog, phone_models.yml, or given explicitly);
- duplicate_mac   one MAC answering at several addresses (a cloned MAC or a stale ARP entry).
Unidentified and silent addresses are not findings here: the sweep reports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Literal

from ..inventory import Company
from ..phones import load_catalog, normalise_mac
from .devices import Device, address_key, normalise_model

FindingKind = Literal["missing", "unknown", "wrong_model", "wrong_firmware", "duplicate_mac"]
KINDS: tuple[FindingKind, ...] = (
    "missing",
    "unknown",
    "wrong_model",
    "wrong_firmware",
    "duplicate_mac",
)


class SiteError(ValueError):
    """The site to compare with does not exist in the inventory (the message lists what does)."""


@dataclass(frozen=True)
class ExpectedPhone:
    """A phone the inventory places at the site."""

    mac: str  # normalised: lower-case hex, no separators
    vendor: str
    model: str
    firmware: str | None = None  # pinned version, if any
    salon: str | None = None
    extension: str | None = None

    def label(self) -> str:
        where = f", salon {self.salon}" if self.salon else ""
        ext = f", ext {self.extension}" if self.extension else ""
        return f"{self.vendor} {self.model}{where}{ext}"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    mac: str
    address: str | None = None
    expected: str | None = None
    found: str | None = None
    salon: str | None = None
    extension: str | None = None
    message: str = ""

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class Comparison:
    expected: int
    matched: tuple[str, ...]  # MACs found where expected, model right (firmware may be wrong)
    findings: tuple[Finding, ...] = field(default=())

    @property
    def clean(self) -> bool:
        return not self.findings

    def of_kind(self, kind: FindingKind) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)

    def counts(self) -> dict[str, int]:
        return {"expected": self.expected, "matched": len(self.matched)} | {
            kind: len(self.of_kind(kind)) for kind in KINDS
        }

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"counts": self.counts(), "matched": list(self.matched)}
        for kind in KINDS:
            out[kind] = [f.as_dict() for f in self.of_kind(kind)]
        return out


def catalog_firmware_pins() -> dict[str, str]:
    """Firmware versions pinned in the phone catalog (phone_models.yml), by model."""
    return {
        name: model.firmware
        for models in load_catalog().models.values()
        for name, model in models.items()
        if model.firmware
    }


def expected_phones(
    company: Company,
    city: str,
    salon: str | None = None,
    firmware: Mapping[str, str] | None = None,
) -> list[ExpectedPhone]:
    """The phones of `city` (optionally one salon), with the firmware pinned for their model.

    `firmware` maps model -> version and overrides the catalog's pins.
    """
    if city not in company.cities:
        known = ", ".join(sorted(company.cities)) or "none"
        raise SiteError(f"no city {city!r} in the inventory; known cities: {known}")
    salons = company.cities[city].salons
    if salon is not None:
        salons = [s for s in salons if s.id == salon]
        if not salons:
            known = ", ".join(s.id for s in company.cities[city].salons)
            raise SiteError(f"no salon {salon!r} in city {city}; its salons: {known}")
    pins = catalog_firmware_pins() | dict(firmware or {})
    return [
        ExpectedPhone(
            mac=normalise_mac(phone.mac),
            vendor=phone.vendor,
            model=phone.model,
            firmware=pins.get(phone.model),
            salon=s.id,
            extension=phone.extension,
        )
        for s in salons
        for phone in s.phones
    ]


def compare(devices: Iterable[Device], expected: Iterable[ExpectedPhone]) -> Comparison:
    """Findings, sorted by kind then MAC. Only identified devices take part."""
    wanted = {phone.mac: phone for phone in expected}
    found: dict[str, list[Device]] = {}
    for device in devices:
        if device.status == "identified" and device.mac:
            found.setdefault(device.mac, []).append(device)
    for seen in found.values():
        seen.sort(key=lambda d: address_key(d.address))

    findings: list[Finding] = []
    matched: list[str] = []
    for mac, seen in sorted(found.items()):
        device = seen[0]
        if len(seen) > 1:
            addresses = ", ".join(d.address for d in seen)
            findings.append(
                Finding(
                    "duplicate_mac",
                    mac,
                    device.address,
                    found=addresses,
                    message=f"MAC {mac} answers at {len(seen)} addresses: {addresses}",
                )
            )
        phone = wanted.get(mac)
        if phone is None:
            findings.append(_unknown(device))
        elif (finding := _check(phone, device)) is not None:
            findings.append(finding)
            if finding.kind == "wrong_firmware":
                matched.append(mac)
        else:
            matched.append(mac)
    for mac, phone in sorted(wanted.items()):
        if mac not in found:
            findings.append(
                Finding(
                    "missing",
                    mac,
                    expected=f"{phone.vendor} {phone.model}",
                    salon=phone.salon,
                    extension=phone.extension,
                    message=f"{mac} ({phone.label()}) did not answer as an identified phone",
                )
            )
    findings.sort(key=lambda f: (KINDS.index(f.kind), f.mac, f.address or ""))
    return Comparison(len(wanted), tuple(sorted(matched)), tuple(findings))


def _unknown(device: Device) -> Finding:
    what = f"{device.vendor} {device.model}"
    return Finding(
        "unknown",
        str(device.mac),
        device.address,
        found=what,
        message=f"{device.mac} ({what} at {device.address}) is not in the inventory of this site",
    )


def _check(phone: ExpectedPhone, device: Device) -> Finding | None:
    expected_model = normalise_model(phone.model) or phone.model.upper()
    if device.vendor != phone.vendor or device.model != expected_model:
        return Finding(
            "wrong_model",
            phone.mac,
            device.address,
            expected=f"{phone.vendor} {phone.model}",
            found=f"{device.vendor} {device.model}",
            salon=phone.salon,
            extension=phone.extension,
            message=(
                f"{phone.mac} at {device.address} is a {device.vendor} {device.model}, "
                f"the inventory says {phone.label()}"
            ),
        )
    if phone.firmware is not None and device.firmware != phone.firmware:
        running = device.firmware or "an unreported version"
        return Finding(
            "wrong_firmware",
            phone.mac,
            device.address,
            expected=phone.firmware,
            found=device.firmware,
            salon=phone.salon,
            extension=phone.extension,
            message=(
                f"{phone.mac} ({phone.label()}) at {device.address} runs {running}, "
                f"pinned: {phone.firmware}"
            ),
        )
    return None
