"""The lab's secrets and the inventory data the call tests need, resolved.

The lab vault (`inventories/<inv>/group_vars/all/vault.yml`, written by lab/secrets.sh)
holds `vault_*` values encrypted with `.lab/vault-password`, inline (`!vault`) or as a
whole encrypted file. City files reference them as `{{ vault_name }}`. This module
decrypts them with ansible-core's VaultLib and hands out extensions (with their
PJSIP endpoint name, the same function the PBX's role uses) and trunks ready to use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from citypbx.inventory import load_inventory
from citypbx.inventory.names import endpoint_name

REPO_ROOT = Path(__file__).resolve().parents[2]
LAB_VAULT_PASSWORD = REPO_ROOT / ".lab" / "vault-password"
_REFERENCE = re.compile(r"\{\{\s*(vault_[A-Za-z0-9_]+)\s*\}\}")
_VAULT_HEADER = b"$ANSIBLE_VAULT"


class LabSecretError(LookupError):
    """A secret the tests need is missing or cannot be decrypted."""


def _vault(password_file: Path) -> VaultLib:
    password = password_file.read_bytes().strip()
    return VaultLib([("default", VaultSecret(password))])


def read_vault(vault_file: Path, password_file: Path = LAB_VAULT_PASSWORD) -> dict[str, str]:
    """Every `vault_*` variable of VAULT_FILE, decrypted (inline values or a whole-file vault)."""
    vault = _vault(password_file)
    raw = vault_file.read_bytes()
    if raw.lstrip().startswith(_VAULT_HEADER):
        raw = vault.decrypt(raw)

    class _Loader(yaml.SafeLoader):
        """SafeLoader that decrypts `!vault` values."""

    def _decrypt(loader: yaml.SafeLoader, node: yaml.Node) -> str:
        ciphertext = loader.construct_scalar(node)  # type: ignore[arg-type]
        plain: bytes = vault.decrypt(str(ciphertext).encode())
        return plain.decode()

    _Loader.add_constructor("!vault", _decrypt)
    data = yaml.load(raw, Loader=_Loader)  # noqa: S506 - SafeLoader plus one tag
    if not isinstance(data, dict):
        raise LabSecretError(f"{vault_file}: expected a mapping of vault_* variables")
    return {str(name): str(value) for name, value in data.items()}


def resolve(value: object, secrets: Mapping[str, str]) -> str:
    """VALUE with a `{{ vault_name }}` reference replaced by its secret."""
    text = str(value)
    match = _REFERENCE.fullmatch(text.strip())
    if match is None:
        return text
    try:
        return secrets[match.group(1)]
    except KeyError as exc:
        raise LabSecretError(
            f"{match.group(1)} is not in the lab vault; run lab/secrets.sh <inventory>"
        ) from exc


@dataclass(frozen=True)
class LabExtension:
    """A staff extension, with what a phone needs to register as it."""

    city: str
    salon: str
    salon_name: str
    extension: str
    name: str
    secret: str = field(repr=False)
    cos: str

    @property
    def endpoint(self) -> str:
        """PJSIP endpoint = auth user = AOR name of the extension on the PBX."""
        return endpoint_name(self.extension, self.secret)


@dataclass(frozen=True)
class LabTrunk:
    """An operator trunk of a city, with the operator profile's number format."""

    city: str
    id: str
    operator: str
    auth: str
    server: str
    port: int
    priority: int
    number_format: str
    caller_id_method: str
    username: str = ""
    password: str = field(default="", repr=False)
    numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabCity:
    """A city of the inventory, as the tests see it."""

    slug: str
    name: str
    timezone: str
    area_code: str
    caller_id: str
    emergency_trunk: str
    salon_caller_ids: dict[str, str]
    data: dict[str, Any] = field(repr=False)


class LabInventory:
    """The inventory directory of a lab (staging or a Molecule scenario), secrets resolved."""

    def __init__(self, root: Path, password_file: Path = LAB_VAULT_PASSWORD) -> None:
        self.root = root
        # Through the kit's own loader: it reads an overlay inventory (staging) as Ansible does.
        variables = {v.name: v.value for v in load_inventory(root).variables}
        self.secrets = read_vault(root / "group_vars" / "all" / "vault.yml", password_file)
        self.operators: dict[str, Any] = variables["citypbx_operators"]
        holidays = variables.get("citypbx_holidays") or []
        self.holidays: set[date] = {date.fromisoformat(str(day)) for day in holidays}
        self.cities: dict[str, LabCity] = {}
        self.extensions: dict[str, LabExtension] = {}
        self.trunks: dict[str, LabTrunk] = {}
        for name, city in sorted(variables.items()):
            if name.startswith("citypbx_city_") and isinstance(city, dict):
                self._add_city(name.removeprefix("citypbx_city_"), city)

    def _add_city(self, slug: str, city: dict[str, Any]) -> None:
        self.cities[slug] = LabCity(
            slug=slug,
            name=city["name"],
            timezone=city["timezone"],
            area_code=city["area_code"],
            caller_id=city["caller_id"],
            emergency_trunk=city["emergency_trunk"],
            salon_caller_ids={
                salon["id"]: salon.get("caller_id") or city["caller_id"] for salon in city["salons"]
            },
            data=city,
        )
        for salon in city["salons"]:
            for ext in salon["extensions"]:
                self.extensions[ext["extension"]] = LabExtension(
                    city=slug,
                    salon=salon["id"],
                    salon_name=salon["name"],
                    extension=ext["extension"],
                    name=ext["name"],
                    secret=resolve(ext["secret"], self.secrets),
                    cos=ext["cos"],
                )
        for trunk in city["trunks"]:
            profile = self.operators[trunk["operator"]]["profile"]
            self.trunks[trunk["id"]] = LabTrunk(
                city=slug,
                id=trunk["id"],
                operator=trunk["operator"],
                auth=trunk["auth"],
                server=trunk["server"],
                port=trunk.get("port", 5060),
                priority=trunk["priority"],
                number_format=profile["number_format"],
                caller_id_method=profile["caller_id_method"],
                username=str(trunk.get("username") or ""),
                password=resolve(trunk["password"], self.secrets) if trunk.get("password") else "",
                numbers=tuple(n["number"] for n in trunk.get("numbers") or []),
            )

    def salon_extensions(self, salon: str) -> list[LabExtension]:
        """The extensions of SALON, in inventory order."""
        return [ext for ext in self.extensions.values() if ext.salon == salon]

    def trunk_of_number(self, number: str) -> LabTrunk:
        """The trunk that owns the E.164 NUMBER."""
        for trunk in self.trunks.values():
            if number in trunk.numbers:
                return trunk
        raise LabSecretError(f"no trunk owns {number}")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise LabSecretError(f"{path}: expected a mapping")
    return data


def format_number(e164: str, number_format: str) -> str:
    """A Russian E.164 number (+7XXXXXXXXXX) written in an operator's NUMBER_FORMAT.

    Written here again on purpose, from operators.yml's definition: the tests check the
    PBX's own conversion (citypbx.plan.dialplan) against it.
    """
    national = e164.removeprefix("+7")
    return {
        "e164": e164,
        "11d8": "8" + national,
        "11d7": "7" + national,
        "10d": national,
    }[number_format]
