"""The inventory contract as pydantic models: shape and single-value rules.

Strict: no type coercion ("5060" is not a port) and unknown keys are errors, so typos surface.
Rules spanning several values (uniqueness, references, ownership) live in checks.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..phones import Vendor
from .types import (
    E164,
    AreaCode,
    Channels,
    Cidr,
    DestinationStr,
    Email,
    ExtensionNumber,
    HolidayDate,
    Host,
    Hours,
    Mac,
    MenuKey,
    MenuTimeout,
    NonEmptyStr,
    ObjectId,
    OperatorId,
    OperatorSecret,
    Pin,
    Port,
    Priority,
    RingTimeout,
    Secret,
    SipUser,
    SoundName,
    TimeZone,
)

# ---- vocabularies and defaults: each written here once; everything else derives from them ----

# Class of service of an extension; what each may dial is the ladder
# (asterisk_city_classes_of_service, citypbx/inventory/numbering.py for the number classes).
ClassOfService = Literal["internal", "local", "national", "mobile", "international"]
COS_NAMES: tuple[str, ...] = get_args(ClassOfService)
# How an operator writes a Russian number: +7XXXXXXXXXX, 8XXXXXXXXXX, 7XXXXXXXXXX, XXXXXXXXXX.
NumberFormat = Literal["e164", "11d8", "11d7", "10d"]
NUMBER_FORMATS: tuple[str, ...] = get_args(NumberFormat)
TrunkAuth = Literal["registration", "ip"]
Distribution = Literal["ringall", "hunt", "queue"]
SIP_PORT = 5060  # an operator's SIP port when the inventory names none
MENU_TIMEOUT = 5  # seconds a voice menu waits for a key when the inventory names none
# Whose ringing phones a phone may answer with the pickup code: its salon's, or its city's.
PickupScope = Literal["salon", "city"]
# The codes staff dial (and the phones' keys send); Asterisk's own transfer codes stay off.
FEATURE_CODES: dict[str, str] = {
    "voicemail": "*97",  # the salon's mailbox (VoiceMailMain, with its PIN)
    "pickup": "*8",  # answer a ringing colleague of the pickup group
    "night": "*30",  # close the salon now / back to its hours (a BLF key shows it)
}


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class NumberRoute(_Model):
    """A rented number and where its incoming calls go."""

    number: E164
    destination: DestinationStr
    record: bool = False
    # Played to the caller before the call rings (only with record: true): a sound name,
    # e.g. custom/citypbx-recording-notice (shipped by role asterisk_city).
    notice: SoundName | None = None


class Trunk(_Model):
    id: ObjectId
    operator: OperatorId
    contract: NonEmptyStr
    priority: Priority
    auth: TrunkAuth
    server: Host
    port: Port = SIP_PORT
    username: SipUser | None = None
    password: OperatorSecret | None = None
    match: list[Cidr] | None = None
    channels: Channels
    numbers: list[NumberRoute] = Field(default_factory=list)


class Extension(_Model):
    extension: ExtensionNumber
    name: NonEmptyStr
    secret: Secret
    cos: ClassOfService


class Phone(_Model):
    mac: Mac  # normalised: lower-case hex, no separators
    vendor: Vendor
    model: NonEmptyStr
    extension: ExtensionNumber


class SalonVoicemail(_Model):
    """The salon's mailbox: its PIN (a vault reference) and who gets each message by e-mail."""

    pin: Pin
    email: list[Email] = Field(default_factory=list)


class Salon(_Model):
    id: ObjectId
    name: NonEmptyStr
    caller_id: E164 | None = None
    hours: list[Hours] = Field(min_length=1)
    holidays: list[HolidayDate] = Field(default_factory=list)
    distribution: Distribution
    ring_timeout: RingTimeout
    after_hours: DestinationStr
    no_answer: DestinationStr
    extensions: list[Extension] = Field(min_length=1)
    phones: list[Phone] = Field(default_factory=list)
    # Needed when a destination is voicemail:<this salon>.
    voicemail: SalonVoicemail | None = None


class Menu(_Model):
    id: ObjectId
    prompt: SoundName
    timeout: MenuTimeout = MENU_TIMEOUT
    options: dict[MenuKey, DestinationStr] = Field(min_length=1)
    default: DestinationStr


class City(_Model):
    name: NonEmptyStr
    timezone: TimeZone
    area_code: AreaCode
    # The city's other area codes (Moscow: 499 beside 495): calls to them are local too.
    other_area_codes: list[AreaCode] = Field(default_factory=list)
    caller_id: E164
    emergency_trunk: ObjectId
    trunks: list[Trunk] = Field(min_length=1)
    salons: list[Salon] = Field(min_length=1)
    menus: list[Menu] = Field(default_factory=list)
    pickup: PickupScope = "salon"


Codec = Literal["ulaw", "alaw", "g722", "g729", "opus"]


class OperatorProfile(_Model):
    """How an operator talks SIP; selects the PJSIP endpoint settings."""

    codecs: list[Codec] = Field(min_length=1)
    dtmf: Literal["rfc4733", "inband", "info"]
    caller_id_method: Literal["pai", "rpid", "from"]
    number_format: NumberFormat
    from_user: SipUser | None = None
    from_domain: Host | None = None


class Operator(_Model):
    name: NonEmptyStr
    profile: OperatorProfile
    support: NonEmptyStr | None = None


class MailRelay(_Model):
    """The company's SMTP relay (citypbx_mail_relay): voicemail to e-mail goes through it."""

    host: Host
    port: Port = 587
    # The envelope and From: address of the PBX's mail.
    sender: Email
    # starttls (port 587), tls (465) or none (a relay on the PBX's own network only).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: NonEmptyStr | None = None
    password: OperatorSecret | None = None


MAIL_RELAY = TypeAdapter(MailRelay | None, config=ConfigDict(strict=True))
OPERATORS = TypeAdapter(dict[OperatorId, Operator], config=ConfigDict(strict=True))
HOLIDAYS = TypeAdapter(list[HolidayDate], config=ConfigDict(strict=True))

# Every key any model accepts, for "did you mean ...?" hints on unknown keys.
KNOWN_KEYS = frozenset(
    name
    for model in (
        NumberRoute,
        Trunk,
        Extension,
        Phone,
        SalonVoicemail,
        Salon,
        Menu,
        City,
        OperatorProfile,
        Operator,
        MailRelay,
    )
    for name in model.model_fields
)


@dataclass(frozen=True)
class Company:
    """The whole validated inventory: cities by slug, operators by id, company holidays."""

    cities: dict[str, City]
    operators: dict[str, Operator]
    holidays: list[date]
