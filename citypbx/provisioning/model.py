"""The vendor-neutral phone: everything a phone's files say, before any vendor spells it.

Built from the inventory (build.py), rendered by the vendor's templates (render.py). Values are
final: names are cleaned of control characters, passwords derived, the time zone resolved; the
templates only choose keys and the vendor's spelling of a value (the catalog's dialect `values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..phones import Family, Vendor, ZoneSpec
from .settings import Transport

KeyKind = Literal["none", "line", "blf", "speed_dial"]


@dataclass(frozen=True, slots=True)
class Line:
    """One SIP account of the phone."""

    index: int  # account number on the phone, from 1
    extension: str
    server: str
    port: int
    transport: Transport
    auth_user: str  # citypbx.inventory.names.endpoint_name(extension, secret)
    user: str  # SIP user (From/Contact): the endpoint name too, so Asterisk matches it
    password: str  # the extension's secret
    display_name: str  # caller name shown to the called party
    label: str  # shown on the phone's screen next to the line


@dataclass(frozen=True, slots=True)
class LineKey:
    index: int  # key number on the phone, from 1
    kind: KeyKind  # own line, a colleague's busy lamp (BLF), a speed dial, or unused
    line: int  # account the key uses, from 1; 0 for an unused key
    value: str  # the colleague's extension or the night switch's; "" for line and unused keys
    label: str


@dataclass(frozen=True, slots=True)
class Provisioning:
    """Where and how the phone fetches its own files again (re-provisioning, firmware)."""

    url: str  # base URL of the phone files, ending in "/"
    scheme: Literal["http", "https"]
    host_path: str  # `url` without its scheme (Grandstream wants the protocol separately)
    username: str  # per-device HTTP credentials (credentials.py)
    password: str
    firmware_url: str  # the pinned firmware: a file (Yealink) or a directory (Grandstream)
    firmware_scheme: Literal["http", "https"]
    firmware_host_path: str
    # The deployment's CA, which the phone installs and verifies the servers against: where the
    # provisioning site serves it (phones that fetch it), and its PEM text for phones that take
    # it inline ("" when the settings do not give it: those phones are not told to verify).
    ca_certificate_url: str
    ca_certificate: str


@dataclass(frozen=True, slots=True)
class PhoneConfig:
    mac: str  # lower-case hex, no separators
    vendor: Vendor
    model: str
    family: Family
    dialect: str
    firmware: str  # pinned version (catalog)
    city: str  # city slug
    salon: str  # salon id
    lines: tuple[Line, ...]
    unused_lines: tuple[int, ...]  # account numbers switched off (the model's other accounts)
    line_keys: tuple[LineKey, ...]  # every line key of the model, in order
    voicemail_code: str  # what the phone's voicemail key dials (the salon's mailbox, its PIN)
    ntp_server: str
    timezone: ZoneSpec
    language: str  # neutral code (ru); the dialect's `values.language` spells it
    vlan_id: int  # 0 = untagged
    admin_password: str
    provisioning: Provisioning

    @property
    def extension(self) -> str:
        return self.lines[0].extension
