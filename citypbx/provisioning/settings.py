"""The provisioning settings: where phones register, get time and re-provision from.

A small mapping beside the inventory (the inventory says which phones exist, these settings say
how they reach the company's services). Strict like the inventory: unknown keys are errors.

    sip_server: pbx1.citypbx.example     # SIP server the phones register with (required)
    sip_port: 5060                       # default 5060
    sip_transport: udp                   # udp | tcp | tls (default udp)
    ntp_server: ntp.citypbx.example      # (required)
    vlan_id: 20                          # voice VLAN tag, 0 = untagged (default 0)
    language: ru                         # phone menus (default ru)
    provisioning_url: https://prov.citypbx.example/phones/   # where phones fetch their files
    firmware_url: https://prov.citypbx.example/firmware/     # default: <provisioning_url>firmware/
    cities:                              # per-city overrides of sip_*, ntp_server, vlan_id
      novosibirsk: {sip_server: pbx2.citypbx.example}
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..inventory.errors import issues_from_validation_error
from ..inventory.types import Host, Port, invalid
from .errors import ProvisioningError

Transport = Literal["udp", "tcp", "tls"]
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~%/-]*)?")
_VLAN_MAX = 4094


def _url(value: str) -> str:
    if not _URL.fullmatch(value):
        invalid(f"{value!r} is not an http(s) URL; write e.g. https://prov.example/phones/")
    return value if value.endswith("/") else value + "/"


def _vlan(value: int) -> int:
    if not 0 <= value <= _VLAN_MAX:
        invalid(f"{value} is not a VLAN id; use 1 to {_VLAN_MAX}, or 0 for untagged")
    return value


Url = Annotated[str, AfterValidator(_url)]
VlanId = Annotated[int, AfterValidator(_vlan)]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class CitySettings(_Model):
    """What one city may override (e.g. a city served by another PBX)."""

    sip_server: Host | None = None
    sip_port: Port | None = None
    sip_transport: Transport | None = None
    ntp_server: Host | None = None
    vlan_id: VlanId | None = None


class ProvisioningSettings(_Model):
    sip_server: Host
    sip_port: Port = 5060
    sip_transport: Transport = "udp"
    ntp_server: Host
    vlan_id: VlanId = 0
    language: Literal["ru"] = "ru"
    provisioning_url: Url
    firmware_url: Url | None = None
    cities: dict[str, CitySettings] = Field(default_factory=dict)

    @property
    def firmware_base(self) -> str:
        return self.firmware_url or f"{self.provisioning_url}firmware/"

    def for_city(self, slug: str) -> ProvisioningSettings:
        """These settings with the city's overrides applied."""
        overrides = self.cities.get(slug)
        if overrides is None:
            return self
        changed = {k: v for k, v in overrides.model_dump().items() if v is not None}
        return self.model_copy(update=changed)


def parse_settings(data: object) -> ProvisioningSettings:
    """Validate a settings mapping; every problem is reported at once in a ProvisioningError."""
    if isinstance(data, ProvisioningSettings):
        return data
    try:
        return ProvisioningSettings.model_validate(data)
    except ValidationError as exc:
        lines = [str(i) for i in issues_from_validation_error(exc, "provisioning settings", ())]
        raise ProvisioningError(
            f"{len(lines)} error(s) in the provisioning settings:\n" + "\n".join(lines)
        ) from None
