"""Catalog of the desk phones the kit supports (citypbx/data/phone_models.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml

Vendor = Literal["yealink", "grandstream"]
Family = Literal["t3x", "t4x", "t5x", "gxp", "grp"]


@dataclass(frozen=True)
class PhoneModel:
    vendor: Vendor
    name: str
    family: Family
    lines: int


@dataclass(frozen=True)
class PhoneCatalog:
    """Models and MAC prefixes (OUIs, lower-case hex without separators) per vendor."""

    models: dict[Vendor, dict[str, PhoneModel]]
    ouis: dict[Vendor, frozenset[str]]

    def vendor_of_oui(self, mac: str) -> Vendor | None:
        """The vendor whose OUI starts the normalised `mac`, if any."""
        for vendor, prefixes in self.ouis.items():
            if mac[:6] in prefixes:
                return vendor
        return None

    def vendor_of_model(self, model: str) -> Vendor | None:
        for vendor, models in self.models.items():
            if model in models:
                return vendor
        return None


def normalise_mac(text: str) -> str:
    """`AA-BB-CC-DD-EE-FF`, `aa:bb:..` or `aabbcc..` -> `aabbccddeeff` (no validation)."""
    return text.replace(":", "").replace("-", "").lower()


@cache
def load_catalog() -> PhoneCatalog:
    """Read the packaged catalog once; it is trusted data shipped with the package."""
    text = resources.files("citypbx").joinpath("data/phone_models.yml").read_text("utf-8")
    raw = yaml.safe_load(text)["vendors"]
    models: dict[Vendor, dict[str, PhoneModel]] = {}
    ouis: dict[Vendor, frozenset[str]] = {}
    for vendor, spec in raw.items():
        models[vendor] = {
            name: PhoneModel(vendor, name, entry["family"], entry["lines"])
            for name, entry in spec["models"].items()
        }
        ouis[vendor] = frozenset(normalise_mac(oui) for oui in spec["ouis"])
    return PhoneCatalog(models, ouis)
