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
    # The deployment's CA certificate (PEM, exports/<host>/provisioning-ca.crt) for the phones
    # that take it inline (Grandstream GXP). Yealink phones fetch it from
    # <provisioning_url>provisioning-ca.crt instead. No default: without it the Grandstream
    # phones are not told to verify the server (they could not, and would stop provisioning).
    ca_certificate: |
      -----BEGIN CERTIFICATE-----
      ...
      -----END CERTIFICATE-----
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
#: Where the provisioning site serves the deployment's CA certificate, below provisioning_url,
#: without credentials (it is public). The nginx site (site.py) and the phones read this name.
CA_CERTIFICATE_NAME = "provisioning-ca.crt"
_PEM = re.compile(
    r"-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{4,76}\n)+-----END CERTIFICATE-----"
)
#: Grandstream's trusted CA certificate fields hold at most 4096 characters.
_PEM_MAX = 4096


def _url(value: str) -> str:
    if not _URL.fullmatch(value):
        invalid(f"{value!r} is not an http(s) URL; write e.g. https://prov.example/phones/")
    return value if value.endswith("/") else value + "/"


def _vlan(value: int) -> int:
    if not 0 <= value <= _VLAN_MAX:
        invalid(f"{value} is not a VLAN id; use 1 to {_VLAN_MAX}, or 0 for untagged")
    return value


def _pem(value: str) -> str:
    text = value.replace("\r\n", "\n").strip()
    if not _PEM.fullmatch(text) or len(text) > _PEM_MAX:
        invalid(
            "one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----, "
            f"at most {_PEM_MAX} characters): the exported exports/<host>/{CA_CERTIFICATE_NAME}"
        )
    return text


Url = Annotated[str, AfterValidator(_url)]
VlanId = Annotated[int, AfterValidator(_vlan)]
Pem = Annotated[str, AfterValidator(_pem)]


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
    ca_certificate: Pem | None = None
    cities: dict[str, CitySettings] = Field(default_factory=dict)

    @property
    def firmware_base(self) -> str:
        return self.firmware_url or f"{self.provisioning_url}firmware/"

    @property
    def ca_certificate_url(self) -> str:
        """Where the phones fetch the deployment's CA certificate (the provisioning site)."""
        return f"{self.provisioning_url}{CA_CERTIFICATE_NAME}"

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
