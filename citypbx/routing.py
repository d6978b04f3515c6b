"""From one city's inventory data to the plan its Asterisk files are rendered from.

The inventory has been validated by the first play of every run, so this module
trusts its shape and only derives: endpoint names, number formats per operator,
time specs for GotoIfTime, dialplan targets of destinations, dial patterns.
Templates under roles/asterisk_city/templates/ turn the plan into config files;
keeping the derivations here keeps them unit-testable and the templates plain.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from citypbx.inventory.types import DAYS, Destination, parse_destination, parse_hours

# Class of service: each level may dial everything the levels below it may.
COS_LEVELS = {"internal": 0, "local": 1, "national": 2, "mobile": 3, "international": 4}
# Emergency services (112 and the 101-104 short numbers): never refused.
EMERGENCY_NUMBERS = ("101", "102", "103", "104", "112")
NUMBER_FORMATS = ("e164", "11d8", "11d7", "10d")
# International numbers: E.164 allows up to 15 digits after the country code's "+".
_INTL_DIGITS = range(7, 16)
_MINUTES_PER_HOUR = 60
_END_OF_DAY = 24 * _MINUTES_PER_HOUR


def endpoint_name(extension: str, secret: str) -> str:
    """PJSIP endpoint (and auth user) name of an extension: not guessable from the number.

    ``2101-`` followed by 10 hex digits of HMAC-SHA256(secret, extension): an attacker
    who knows the extension still has to guess the name before guessing the password.
    Changing the secret renames the endpoint, so phones are re-provisioned together.
    """
    digest = hmac.new(secret.encode(), extension.encode(), hashlib.sha256).hexdigest()
    return f"{extension}-{digest[:10]}"


def format_number(e164: str, number_format: str) -> str:
    """A Russian E.164 number (+7XXXXXXXXXX) as an operator with NUMBER_FORMAT writes it."""
    national = e164[2:]
    return {
        "e164": e164,
        "11d8": "8" + national,
        "11d7": "7" + national,
        "10d": national,
    }[number_format]


def number_expression(variable: str, number_format: str) -> str:
    """Dialplan expression giving ``${VARIABLE}`` (a +7 E.164 number) in NUMBER_FORMAT."""
    return {
        "e164": f"${{{variable}}}",
        "11d8": f"8${{{variable}:2}}",
        "11d7": f"${{{variable}:1}}",
        "10d": f"${{{variable}:2}}",
    }[number_format]


def international_expression(variable: str, number_format: str) -> str:
    """Dialplan expression giving ``${VARIABLE}`` (+<country><number>) as the operator dials it."""
    return f"${{{variable}}}" if number_format == "e164" else f"810${{{variable}:1}}"


def dialplan_text(text: str) -> str:
    """TEXT made safe inside dialplan arguments (no separators, variables or quotes)."""
    return re.sub(r"[^\w .'-]", "", text).strip()


def _days_spec(days: Iterable[int]) -> str:
    """Weekday numbers (0 = Monday) as GotoIfTime days: ranges joined with '&'."""
    ordered = sorted(days)
    parts: list[str] = []
    start = previous = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == previous + 1:
            previous = day
            continue
        parts.append(DAYS[start] if start == previous else f"{DAYS[start]}-{DAYS[previous]}")
        if day is not None:
            start = previous = day
    return "&".join(parts)


def _clock(minutes: int) -> str:
    # GotoIfTime's ranges include their last minute: 24:00 is written 23:59.
    minutes = min(minutes, _END_OF_DAY - 1)
    return f"{minutes // _MINUTES_PER_HOUR:02d}:{minutes % _MINUTES_PER_HOUR:02d}"


def hours_specs(rules: Iterable[str]) -> list[dict[str, str]]:
    """Working-hours rules as GotoIfTime time and weekday specs."""
    specs = []
    for text in rules:
        rule = parse_hours(text)
        end = rule.end - 1 if rule.end < _END_OF_DAY else rule.end
        specs.append(
            {"times": f"{_clock(rule.start)}-{_clock(end)}", "days": _days_spec(rule.days)}
        )
    return specs


def destination_target(destination: str) -> str:
    """The dialplan ``context,extension,priority`` a destination string sends a call to."""
    parsed: Destination = parse_destination(destination)
    if parsed.kind == "salon":
        return f"citypbx-salon-{parsed.target},s,1"
    if parsed.kind == "voicemail":
        return f"citypbx-voicemail-{parsed.target},s,1"
    if parsed.kind == "menu":
        return f"citypbx-menu-{parsed.target},s,1"
    if parsed.kind == "extension":
        return f"citypbx-internal,{parsed.target},1"
    return "citypbx-hangup,s,1"


def _date_key(value: date | str) -> str:
    return str(value).replace("-", "")


def _outbound_patterns(area_code: str) -> list[dict[str, Any]]:
    """Dial patterns staff use, each with the E.164 expression and the class it needs.

    Strict lengths only (no ``.`` or ``!``), so nothing else can ride along in ${EXTEN}.
    """
    local_length = 10 - len(area_code)
    patterns: list[dict[str, Any]] = [
        {"pattern": "_8XXXXXXXXXX", "e164": "+7${EXTEN:1}"},
        {"pattern": "_+7XXXXXXXXXX", "e164": "${EXTEN}"},
        {"pattern": "_XXXXXXXXXX", "e164": "+7${EXTEN}"},
        {"pattern": "_" + "X" * local_length, "e164": f"+7{area_code}${{EXTEN}}"},
    ]
    for digits in _INTL_DIGITS:
        patterns.append({"pattern": "_810" + "X" * digits, "e164": "+${EXTEN:3}", "intl": True})
        patterns.append(
            {"pattern": "_+[1-689]" + "X" * (digits - 1), "e164": "${EXTEN}", "intl": True}
        )
    return patterns


def city_plan(
    slug: str,
    city: Mapping[str, Any],
    operators: Mapping[str, Any],
    company_holidays: Iterable[date | str],
) -> dict[str, Any]:
    """Everything the templates need to render one city's PJSIP and dialplan files."""
    trunks = []
    for trunk in sorted(city["trunks"], key=lambda t: t["priority"]):
        profile = operators[trunk["operator"]]["profile"]
        trunks.append(
            {
                **{key: trunk.get(key) for key in ("id", "auth", "server", "username", "password")},
                "port": trunk.get("port", 5060),
                "priority": trunk["priority"],
                "channels": trunk["channels"],
                "match": [str(network) for network in trunk.get("match") or []],
                "operator": trunk["operator"],
                "codecs": profile["codecs"],
                "dtmf": profile["dtmf"],
                "caller_id_method": profile["caller_id_method"],
                "number_format": profile["number_format"],
                "from_user": profile.get("from_user"),
                "from_domain": profile.get("from_domain"),
                "number": number_expression("CITYPBX_DIALLED", profile["number_format"]),
                "international": international_expression(
                    "CITYPBX_DIALLED", profile["number_format"]
                ),
                "caller_id": number_expression("CITYPBX_CALLER_ID", profile["number_format"]),
            }
        )
    emergency = [t for t in trunks if t["id"] == city["emergency_trunk"]]
    emergency += [t for t in trunks if t["id"] != city["emergency_trunk"]]

    dids = []
    for trunk in city["trunks"]:
        for route in trunk.get("numbers") or []:
            dids.append(
                {
                    "number": route["number"],
                    "trunk": trunk["id"],
                    "record": bool(route.get("record", False)),
                    "target": destination_target(route["destination"]),
                    "salon": _destination_salon(route["destination"]),
                }
            )
    dids.sort(key=lambda did: did["number"])

    holidays = {_date_key(day) for day in company_holidays}
    salons = []
    for salon in city["salons"]:
        endpoints = {
            ext["extension"]: endpoint_name(ext["extension"], ext["secret"])
            for ext in salon["extensions"]
        }
        salons.append(
            {
                "id": salon["id"],
                "name": dialplan_text(salon["name"]),
                "caller_id": salon.get("caller_id") or city["caller_id"],
                "hours": hours_specs(salon["hours"]),
                "holidays": sorted(
                    holidays | {_date_key(day) for day in salon.get("holidays") or []}
                ),
                "distribution": salon["distribution"],
                "ring_timeout": salon["ring_timeout"],
                "hunt_step": max(5, salon["ring_timeout"] // len(endpoints)),
                "after_hours": destination_target(salon["after_hours"]),
                "no_answer": destination_target(salon["no_answer"]),
                "members": [endpoints[ext["extension"]] for ext in salon["extensions"]],
                "extensions": [
                    {
                        "extension": ext["extension"],
                        "endpoint": endpoints[ext["extension"]],
                        "name": dialplan_text(ext["name"]),
                        "secret": ext["secret"],
                        "cos": ext["cos"],
                        "cos_level": COS_LEVELS[ext["cos"]],
                        "contacts": max(
                            1,
                            sum(
                                1
                                for p in salon.get("phones") or []
                                if p["extension"] == ext["extension"]
                            ),
                        ),
                    }
                    for ext in salon["extensions"]
                ],
                "mailbox_pin": _mailbox_pin(salon["id"], salon["extensions"][0]["secret"]),
            }
        )
    menus = [
        {
            "id": menu["id"],
            "prompt": menu["prompt"],
            "timeout": menu.get("timeout", 5),
            "options": [
                {"key": str(key), "target": destination_target(destination)}
                for key, destination in sorted(menu["options"].items())
            ],
            "default": destination_target(menu["default"]),
        }
        for menu in city.get("menus") or []
    ]
    return {
        "slug": slug,
        "name": dialplan_text(city["name"]),
        "menus": menus,
        "timezone": city["timezone"],
        "area_code": city["area_code"],
        "trunks": trunks,
        "emergency_trunks": emergency,
        "dids": dids,
        "salons": salons,
        "patterns": _outbound_patterns(city["area_code"]),
        "levels": {
            "local": COS_LEVELS["local"],
            "national": COS_LEVELS["national"],
            "mobile": COS_LEVELS["mobile"],
            "international": COS_LEVELS["international"],
        },
        "emergency_numbers": EMERGENCY_NUMBERS,
    }


def _destination_salon(destination: str) -> str:
    parsed = parse_destination(destination)
    return parsed.target if parsed.kind in {"salon", "voicemail"} else ""


def _mailbox_pin(salon_id: str, secret: str) -> str:
    """A 6-digit voicemail PIN derived from a salon secret (never stored in clear)."""
    digest = hmac.new(secret.encode(), f"voicemail:{salon_id}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"
