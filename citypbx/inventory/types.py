"""Field types of the inventory models: each checks one value and explains a bad one.

Validators raise `invalid(...)` with a finished `<what is wrong>; <how to fix it>` message, which
errors.py passes through unchanged.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Literal, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, PlainSerializer, PlainValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from ..phones import normalise_mac
from .issues import wrong_type
from .numbering import is_geographic
from .yamlio import VaultValue

ERROR_TYPE = "citypbx"


def invalid(reason: str) -> NoReturn:
    """Fail validation of the current value with a complete message."""
    raise PydanticCustomError(ERROR_TYPE, "{reason}", {"reason": reason})


def _text(value: object) -> str:
    if not isinstance(value, str):
        invalid(wrong_type("a string", value))
    return value


def _pattern(regex: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            invalid(f"{value!r} is not {what}; fix the value")
        return value

    return AfterValidator(check)


def _int_range(low: int, high: int | None = None) -> AfterValidator:
    def check(value: int) -> int:
        if value < low or (high is not None and value > high):
            limits = f"from {low} to {high}" if high is not None else f"{low} or more"
            invalid(f"{value} is out of range; use a whole number {limits}")
        return value

    return AfterValidator(check)


def _non_empty(value: str) -> str:
    if not value.strip():
        invalid("is empty; fill it in")
    return value


NonEmptyStr = Annotated[str, AfterValidator(_non_empty)]
# A sound file of Asterisk (no extension), e.g. `custom/kazan-welcome` or `digits/1`.
SoundName = Annotated[
    str, _pattern(r"[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*", "a sound name like custom/welcome")
]
# A key of a voice menu: one digit, `*` or `#`.
MenuKey = Annotated[str, _pattern(r"[0-9*#]", "a single key (0-9, * or #)")]
MenuTimeout = Annotated[int, _int_range(1, 30)]
ObjectId = Annotated[
    str, _pattern(r"[a-z][a-z0-9-]*", "an id (lower-case letters, digits and '-', letter first)")
]
OperatorId = Annotated[
    str, _pattern(r"[a-z][a-z0-9_]*", "an operator id (lower-case letters, digits and '_')")
]


def _geographic(code: str) -> str:
    """Zone 7 (Russia) numbering plan: a city's code is geographic (ABC: 3xx, 4xx, 8xx).
    The others would make a local call something else (Rossvyaz numbering plan)."""
    if code.startswith("810"):
        invalid(f"{code!r}: 810 is the international prefix, not an area code; fix the value")
    if code[:2] == "80":
        invalid(f"{code!r}: 800-809 are toll-free and premium-rate codes, not a city's; fix it")
    if code[0] == "9":
        invalid(f"{code!r}: 9xx codes are mobile, not a city's; use the city's geographic code")
    if code[0] in "67":
        invalid(f"{code!r}: 6xx and 7xx are Kazakhstan (also +7), not a Russian city; fix it")
    if code[0] not in "348":
        invalid(f"{code!r}: a geographic code of zone 7 starts with 3, 4 or 8; fix the value")
    if not is_geographic(code):
        invalid(
            f"{code!r} is not a geographic code in the numbering plan"
            " (citypbx/data/numbering-zone7.yml); use the city's code, e.g. 843 for Kazan"
        )
    return code


AreaCode = Annotated[
    str,
    _pattern(r"[0-9]{3,5}", "an area code (3 to 5 digits)"),
    AfterValidator(_geographic),
]
ExtensionNumber = Annotated[
    str,
    _pattern(r"[1-79][0-9]{3}", "an extension (4 digits, not starting with 0 or 8)"),
]
Port = Annotated[int, _int_range(1, 65535)]
# The user part of a SIP URI as operators issue them (digits, letters, . _ ~ + -): it is written
# into configuration lines and SIP headers, so nothing else may ride along.
SipUser = Annotated[
    str, _pattern(r"[A-Za-z0-9._~+-]{1,64}", "a SIP user name (letters, digits, . _ ~ + -)")
]
Channels = Annotated[int, _int_range(1, 1000)]
Priority = Annotated[int, _int_range(1)]
RingTimeout = Annotated[int, _int_range(5, 300)]

# ---- phone numbers ---------------------------------------------------------------------------

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_RUSSIAN = re.compile(r"\+7[0-9]{10}")


def _e164(value: str) -> str:
    if not _E164.fullmatch(value):
        invalid(f"{value!r} is not an E.164 number; write '+', country code and number, no spaces")
    if value.startswith("+7") and not _RUSSIAN.fullmatch(value):
        invalid(
            f"{value!r}: Russian numbers are +7 followed by exactly 10 digits"
            "; fix the number (e.g. +78435550100)"
        )
    return value


E164 = Annotated[str, AfterValidator(_e164)]

# ---- time zones, dates, hours ---------------------------------------------------------------


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(value: str) -> str:
    try:
        known = value in _zones() or bool(ZoneInfo(value))
    except (ZoneInfoNotFoundError, ValueError):
        known = False
    if not known:
        invalid(f"{value!r} is not an IANA time zone; use e.g. Europe/Moscow or Asia/Yekaterinburg")
    return value


TimeZone = Annotated[str, AfterValidator(_timezone)]


def _date(value: object) -> date:
    # Unquoted YAML dates arrive as `date`; quoted ones as text.
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    text = _text(value)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        invalid(f"{text!r} is not a date; write YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        invalid(f"{text!r} is not a real date; fix the day or month")


HolidayDate = Annotated[date, PlainValidator(_date)]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"(?P<days>[a-z,-]+) (?P<start>[0-9]{2}:[0-9]{2})-(?P<end>[0-9]{2}:[0-9]{2})")


@dataclass(frozen=True)
class HoursRule:
    """`mon-fri 09:00-20:00`: days (0 = Monday) and minutes since midnight, end exclusive."""

    text: str
    days: frozenset[int]
    start: int
    end: int

    def __str__(self) -> str:
        return self.text


_HOUR = 60
_DAY = 24 * _HOUR


def _minutes(text: str, rule: str) -> int:
    """`HH:MM` -> minutes since midnight; 24:00 is the end of the day."""
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes >= _HOUR or hours * _HOUR + minutes > _DAY:
        invalid(f"{rule!r}: {text} is not a time; use 00:00 to 24:00")
    return hours * _HOUR + minutes


def _days(text: str, rule: str) -> frozenset[int]:
    days: set[int] = set()
    for item in text.split(","):
        first, _, last = item.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            invalid(f"{rule!r}: {item!r} is not a day or day range; use mon..sun, mon-fri, sat,sun")
        start = DAYS.index(first)
        end = DAYS.index(last) if last else start
        if end < start:
            invalid(f"{rule!r}: day range {item!r} runs backwards; write it from mon towards sun")
        days.update(range(start, end + 1))
    return frozenset(days)


def _hours(value: object) -> HoursRule:
    rule = _text(value)
    match = _HOURS.fullmatch(rule.strip())
    if not match:
        invalid(f"{rule!r} is not '<days> HH:MM-HH:MM'; write e.g. 'mon-fri 09:00-20:00'")
    days = _days(match["days"], rule)
    start, end = _minutes(match["start"], rule), _minutes(match["end"], rule)
    if start >= end:
        invalid(f"{rule!r}: opening time is not before closing time; swap or fix them")
    return HoursRule(rule, days, start, end)


Hours = Annotated[HoursRule, PlainValidator(_hours), PlainSerializer(str, return_type=str)]

# ---- destinations ---------------------------------------------------------------------------

DestinationKind = Literal["salon", "voicemail", "menu", "extension", "external", "hangup"]
_DESTINATION = re.compile(
    r"(?P<kind>salon|voicemail|menu):(?P<salon>[a-z][a-z0-9-]*)|extension:(?P<ext>[1-79][0-9]{3})"
    r"|external:(?P<number>\+[0-9]+)|hangup"
)


@dataclass(frozen=True)
class Destination:
    """Where a call goes: `salon:<id>`, `voicemail:<salon id>`, `menu:<id>`, `extension:<ext>`,
    `external:<E.164 number>` (forwarded out through the city's trunks) or `hangup`."""

    kind: DestinationKind
    target: str  # salon id, extension or E.164 number; "" for hangup

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


def _destination(value: object) -> Destination:
    text = _text(value)
    match = _DESTINATION.fullmatch(text)
    if not match:
        invalid(
            f"{text!r} is not a destination; use salon:<salon id>, voicemail:<salon id>, "
            "menu:<menu id>, extension:<4-digit extension>, external:<+7 number> or hangup"
        )
    if match["ext"]:
        return Destination("extension", match["ext"])
    if match["number"]:
        return Destination("external", _e164(match["number"]))
    if match["kind"] == "salon":
        return Destination("salon", match["salon"])
    if match["kind"] == "voicemail":
        return Destination("voicemail", match["salon"])
    if match["kind"] == "menu":
        return Destination("menu", match["salon"])
    return Destination("hangup", "")


DestinationStr = Annotated[
    Destination, PlainValidator(_destination), PlainSerializer(str, return_type=str)
]

# ---- network ----------------------------------------------------------------------------------

_HOSTNAME = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def _host(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOSTNAME.fullmatch(value) or value.replace(".", "").isdigit():
            invalid(f"{value!r} is neither a host name nor an IP address; fix it")
    return value


Host = Annotated[str, AfterValidator(_host)]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _cidr(value: object) -> Network:
    text = _text(value)
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            invalid(f"{text!r} is not a network; write it in CIDR form, e.g. 198.51.100.16/28")
        invalid(f"{text!r} has host bits set; did you mean {loose}?")


Cidr = Annotated[Network, PlainValidator(_cidr), PlainSerializer(str, return_type=str)]

# ---- phones -----------------------------------------------------------------------------------


def _mac(value: object) -> str:
    text = _text(value)
    separated = re.fullmatch(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}", text)
    if not separated and not re.fullmatch(r"[0-9A-Fa-f]{12}", text):
        invalid(f"{text!r} is not a MAC address; write aa:bb:cc:dd:ee:ff, AA-BB-.. or aabbccddeeff")
    return normalise_mac(text)


Mac = Annotated[str, PlainValidator(_mac)]

# ---- secrets ----------------------------------------------------------------------------------
# One model, two modes, chosen by the validation context (see SECRETS_CONTEXT):
#   reference (the files on disk): a secret must be a `!vault` value or a `{{ vault_* }}`
#     reference, never clear text;
#   resolved (what Ansible resolved for a host): a secret is the value itself, checked for
#     strength and never echoed in a message.

VAULT_REFERENCE = re.compile(r"\{\{\s*(vault_[A-Za-z0-9_]+)\s*\}\}")
CLEAR_TEXT = "secret in clear text; use ansible-vault encrypt_string or a {{ vault_... }} reference"
SecretsMode = Literal["reference", "resolved"]
SECRETS_CONTEXT = "secrets"  # key of the validation context that selects the mode
# Values that are known to every reader of this repository or of a sample.
_PLACEHOLDER = re.compile(r"(?i)^fake|change[-_ ]?me")
_STRENGTH = {"strong": 16, "operator": 8}
# `;` starts a comment in Asterisk's files, a newline a line of its own, `"` and `\` end or
# escape a quoted value: a secret holding one would be cut, or would write configuration.
_UNSAFE_IN_CONFIG = re.compile(r'[\x00-\x1f\x7f;"\\]')


def secrets_context(mode: SecretsMode) -> dict[str, SecretsMode]:
    """The validation context for `model_validate(..., context=...)`."""
    return {SECRETS_CONTEXT: mode}


def _mode(info: ValidationInfo) -> SecretsMode:
    context = info.context if isinstance(info.context, dict) else {}
    return "resolved" if context.get(SECRETS_CONTEXT) == "resolved" else "reference"


def is_vault_secret(value: object) -> bool:
    """A `!vault` value or exactly a `{{ vault_<name> }}` reference."""
    return isinstance(value, VaultValue) or (
        isinstance(value, str) and VAULT_REFERENCE.fullmatch(value.strip()) is not None
    )


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _resolved_secret(value: object, minimum: int) -> str:
    # Messages never show the value: it is a live secret.
    if _is_empty(value):
        invalid("secret is empty; generate one, e.g. openssl rand -base64 24")
    if not isinstance(value, str):
        invalid(f"a secret must be text (got {type(value).__name__}); fix the vault value")
    if is_vault_secret(value) or "{{" in value:
        invalid(
            "secret was not resolved (still a {{ ... }} expression); define the vault_* "
            "variable and pass the vault password"
        )
    if _UNSAFE_IN_CONFIG.search(value) or value != value.strip():
        invalid(
            "secret has a character that cannot sit in an Asterisk or phone configuration line "
            '(a control character, ; " or \\, or a space at either end); generate a new one, '
            "e.g. openssl rand -base64 24"
        )
    if len(value) < minimum:
        invalid(
            f"secret is too short ({len(value)} characters, at least {minimum}); "
            "generate a new one, e.g. openssl rand -base64 24"
        )
    if _PLACEHOLDER.search(value):
        invalid(
            "secret is a placeholder (a sample or well-known value); "
            "replace it with a generated one in the vault"
        )
    if len(set(value)) < minimum // 2:
        invalid("secret repeats too few characters to be random; generate a new one")
    return value


def _secret_validator(strength: str) -> PlainValidator:
    def check(value: object, info: ValidationInfo) -> str | VaultValue:
        if _mode(info) == "resolved":
            return _resolved_secret(value, _STRENGTH[strength])
        if isinstance(value, VaultValue):
            return value
        if isinstance(value, str) and is_vault_secret(value):
            return value
        if _is_empty(value):
            invalid(f"secret is empty; {CLEAR_TEXT.partition('; ')[2]}")
        invalid(CLEAR_TEXT)

    return PlainValidator(check)


# Secrets the company generates (phone and provisioning secrets) and secrets an operator
# issues (trunk passwords: the company does not choose their length).
Secret = Annotated[
    str | VaultValue, _secret_validator("strong"), PlainSerializer(str, return_type=str)
]
OperatorSecret = Annotated[
    str | VaultValue, _secret_validator("operator"), PlainSerializer(str, return_type=str)
]

# A voicemail PIN: digits the staff type on the phone's keypad, so short by nature; kept in
# the vault like every secret, and refused when anyone could guess it.
PIN_LENGTH = (4, 10)
_PIN_RUNS = "0123456789012345678909876543210987654321"


def _resolved_pin(value: object) -> str:
    # Messages never show the value: it is a live PIN.
    if isinstance(value, int) and not isinstance(value, bool):
        invalid("a PIN must be text (a number loses its leading zeros); quote the vault value")
    if _is_empty(value) or not isinstance(value, str):
        invalid("PIN is empty; generate one, e.g. shuf -i 100000-999999 -n 1")
    if is_vault_secret(value) or "{{" in value:
        invalid(
            "PIN was not resolved (still a {{ ... }} expression); define the vault_* "
            "variable and pass the vault password"
        )
    low, high = PIN_LENGTH
    if not (value.isascii() and value.isdigit() and low <= len(value) <= high):
        invalid(
            f"a PIN is {low} to {high} digits 0-9; generate one, e.g. shuf -i 100000-999999 -n 1"
        )
    if guessable_pin(value):
        invalid("PIN is a repeated digit or a run (1234...); generate a random one")
    return value


def guessable_pin(value: str) -> bool:
    """One digit repeated, or a run up or down (1234, 8765, 8901...)."""
    return len(set(value)) == 1 or value in _PIN_RUNS


def random_pin(length: int = PIN_LENGTH[1]) -> str:
    """A PIN the validator accepts, from the system's random source (the lab's secrets)."""
    while guessable_pin(pin := "".join(secrets.choice("0123456789") for _ in range(length))):
        pass
    return pin


def _pin_check(value: object, info: ValidationInfo) -> str | VaultValue:
    if _mode(info) == "resolved":
        return _resolved_pin(value)
    if isinstance(value, VaultValue) or (isinstance(value, str) and is_vault_secret(value)):
        return value
    invalid(CLEAR_TEXT)


Pin = Annotated[str | VaultValue, PlainValidator(_pin_check), PlainSerializer(str, return_type=str)]

# An e-mail address voicemail is sent to: plain ASCII (it goes into voicemail.conf, where `,`
# `|` and `;` have meanings of their own).
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


def _email(value: object) -> str:
    text = _text(value)
    if not _EMAIL.fullmatch(text):
        invalid(f"{text!r} is not an e-mail address (name@domain, ASCII only); fix it")
    return text


Email = Annotated[str, PlainValidator(_email)]


# ---- public parsers for already-validated values (used by the renderers) ----------------------


def parse_hours(text: str) -> HoursRule:
    """Parse one working-hours rule such as ``mon-fri 09:00-20:00``."""
    return _hours(text)


def parse_destination(text: str) -> Destination:
    """Parse a destination such as ``salon:kazan-baumana``."""
    return _destination(text)
