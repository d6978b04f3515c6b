"""Catalog of the desk phones the kit supports (citypbx/data/phone_models.yml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

Vendor = Literal["yealink", "grandstream"]
Family = Literal["t3x", "t4x", "t5x", "gxp", "grp"]


@dataclass(frozen=True)
class PhoneModel:
    vendor: Vendor
    name: str
    family: Family
    lines: int  # SIP accounts the model can register
    line_keys: int = 1  # programmable line keys (own line first)
    firmware: str = ""  # pinned firmware version
    dialect: str = ""  # configuration-file dialect (a key of the vendor's dialects)
    blf: bool = True  # False: colleagues get speed-dial keys only


@dataclass(frozen=True)
class Dialect:
    """One configuration-file dialect of a vendor's firmware (see phone_models.yml)."""

    vendor: Vendor
    name: str
    files: Mapping[str, str]  # file name pattern ({mac}) -> template path under templates/phones
    values: Mapping[str, Mapping[str, Any]]  # neutral value -> the vendor's spelling, per kind
    data: Mapping[str, Any] = field(default_factory=dict)  # anything else the templates read


@dataclass(frozen=True)
class ZoneSpec:
    """How each vendor writes one IANA time zone."""

    iana: str
    yealink_time_zone: str  # UTC offset in hours, e.g. "+3"
    yealink_time_zone_name: str  # entry of the firmware's list, e.g. "Russia(Moscow)"
    grandstream: str  # P64 / dateTime.timezone value, e.g. "MSK-3"
    yealink_summer_time: int = 0  # local_time.summer_time: 0 off, 1 on, 2 automatic


@dataclass(frozen=True)
class PhoneCatalog:
    """Models and MAC prefixes (OUIs, lower-case hex without separators) per vendor."""

    models: dict[Vendor, dict[str, PhoneModel]]
    ouis: dict[Vendor, frozenset[str]]
    dialects: dict[Vendor, dict[str, Dialect]] = field(default_factory=dict)
    firmware_paths: dict[Vendor, str] = field(default_factory=dict)
    timezones: dict[str, ZoneSpec] = field(default_factory=dict)

    def vendor_of_oui(self, mac: str) -> Vendor | None:
        """The vendor whose OUI starts the normalised `mac`, if any."""
        for vendor, prefixes in self.ouis.items():
            if mac[:6] in prefixes:
                return vendor
        return None

    def time_zone(self, iana: str) -> ZoneSpec | None:
        """How the phones are set to the IANA zone (the `timezones` table), None if they
        cannot be: the validator refuses such a city, the phone builder reads the same entry."""
        return self.timezones.get(iana)

    def vendor_of_model(self, model: str) -> Vendor | None:
        for vendor, models in self.models.items():
            if model in models:
                return vendor
        return None

    def dialect_of(self, model: PhoneModel) -> Dialect:
        return self.dialects[model.vendor][model.dialect]


def normalise_mac(text: str) -> str:
    """`AA-BB-CC-DD-EE-FF`, `aa:bb:..` or `aabbcc..` -> `aabbccddeeff` (no validation)."""
    return text.replace(":", "").replace("-", "").lower()


_MODEL_KEYS = {"family", "lines", "line_keys", "firmware", "dialect", "blf"}


@cache
def load_catalog() -> PhoneCatalog:
    """Read the packaged catalog once; it is trusted data shipped with the package."""
    text = resources.files("citypbx").joinpath("data/phone_models.yml").read_text("utf-8")
    return parse_catalog(yaml.safe_load(text))


def parse_catalog(raw: Mapping[str, Any]) -> PhoneCatalog:
    """Build the catalog from its YAML data; a malformed entry raises ValueError naming it."""
    models: dict[Vendor, dict[str, PhoneModel]] = {}
    ouis: dict[Vendor, frozenset[str]] = {}
    dialects: dict[Vendor, dict[str, Dialect]] = {}
    firmware_paths: dict[Vendor, str] = {}
    for vendor, spec in raw["vendors"].items():
        dialects[vendor] = {
            name: Dialect(
                vendor,
                name,
                dict(entry["files"]),
                {kind: dict(values) for kind, values in entry["values"].items()},
                {key: value for key, value in entry.items() if key not in ("files", "values")},
            )
            for name, entry in (spec.get("dialects") or {}).items()
        }
        default_dialect = spec.get("default_dialect", "")
        firmware_paths[vendor] = spec.get("firmware_path", "")
        models[vendor] = {}
        for name, entry in spec["models"].items():
            unknown = set(entry) - _MODEL_KEYS
            if unknown:
                raise ValueError(f"phone_models.yml: {vendor} {name}: unknown key(s) {unknown}")
            model = PhoneModel(
                vendor,
                name,
                entry["family"],
                entry["lines"],
                entry.get("line_keys", 1),
                str(entry.get("firmware", "")),
                entry.get("dialect", default_dialect),
                entry.get("blf", True),
            )
            if dialects[vendor] and model.dialect not in dialects[vendor]:
                raise ValueError(
                    f"phone_models.yml: {vendor} {name}: unknown dialect {model.dialect!r}"
                )
            models[vendor][name] = model
        ouis[vendor] = frozenset(normalise_mac(oui) for oui in spec["ouis"])
    timezones = {
        iana: ZoneSpec(
            iana,
            str(entry["yealink"]["time_zone"]),
            entry["yealink"]["time_zone_name"],
            entry["grandstream"],
            entry["yealink"].get("summer_time", 0),
        )
        for iana, entry in (raw.get("timezones") or {}).items()
    }
    return PhoneCatalog(models, ouis, dialects, firmware_paths, timezones)
