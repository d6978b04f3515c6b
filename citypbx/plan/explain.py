"""`citypbx route`: what the rendered dialplan does with a call, read from the same plan.

For a sysadmin whose salon says "I can't call this number" (outbound) or "calls to this
number go nowhere" (inbound). Every decision here mirrors a line of the templates under
templates/asterisk/etc/asterisk/extensions.d/, reading the same HostPlan they are rendered
from; the Molecule calls scenario (tests/test_route.py) places real calls for a corpus and
checks that Asterisk decided what this module says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from ..inventory.numbering import classify
from ..inventory.types import DAYS as DAYS_OF_WEEK
from .asterisk import CityPlan, ExtensionPlan, HostPlan, SalonPlan, TrunkPlan
from .dialplan import (
    DialPattern,
    format_number,
    international_number,
    pattern_can_match,
    pattern_matches,
    pattern_order_key,
)

ALLOWED, REFUSED = "allowed", "refused"


@dataclass(frozen=True)
class Outbound:
    """What happens when EXTENSION dials DIALLED."""

    extension: str
    city: str
    cos: str
    dialled: str
    decision: str  # allowed | refused
    kind: str  # emergency | internal | outbound | unknown
    number: str = ""  # E.164 (outbound, emergency) or the extension called (internal)
    number_class: str = ""
    reason: str = ""  # why refused, as the call record's userfield says it
    pattern: str = ""  # the dialplan pattern that took the number
    trunks: tuple[tuple[str, str], ...] = ()  # (trunk, number as written) in order of use
    reached_by: tuple[str, ...] | None = None  # classes of service that reach number_class

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    @property
    def sip_status(self) -> int | None:
        """The SIP status the phone gets when the call is refused (None: it goes through):
        403 refused by the route, 404 no such number, 484 more digits could make one."""
        if self.allowed:
            return None
        if self.kind == "incomplete":
            return 484
        return 404 if self.kind == "unknown" else 403

    def lines(self) -> list[str]:
        head = f"{self.extension} ({self.city}, class of service {self.cos}) dials {self.dialled}"
        out = [head]
        if self.pattern:
            out.append(f"  pattern:  {self.pattern} -> {self.number}")
        if self.number_class:
            out.append(f"  class:    {self.number_class}")
        if not self.allowed:
            out.append(f"  REFUSED:  {self.reason.removeprefix('refused: ')}")
            if self.reached_by is not None:
                by = ", ".join(self.reached_by) or "no class of service"
                out.append(f"  reached by: {by}")
            return out
        if self.kind == "internal":
            out.append(f"  allowed:  internal call to extension {self.number}")
        else:
            first, *rest = self.trunks
            out.append(f"  allowed:  on trunk {first[0]} as written {first[1]}")
            for trunk, written in rest:
                out.append(f"            then {trunk} as {written} (when full or down)")
        return out


@dataclass(frozen=True)
class Step:
    """One hop of an inbound call: where it is and what happens there."""

    target: str  # salon:<id> | voicemail:<id> | menu:<id> | extension:<n> | hangup
    what: str


@dataclass(frozen=True)
class Inbound:
    """Where a call to NUMBER goes at local time AT."""

    number: str
    at: str
    city: str = ""
    trunk: str = ""
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def routed(self) -> bool:
        return bool(self.steps)

    @property
    def final(self) -> str:
        """Where the call ends up (the last step's target)."""
        return self.steps[-1].target if self.steps else "hangup"

    def lines(self) -> list[str]:
        if not self.steps:
            return [f"{self.number}: not a number of this PBX (unallocated number, cause 1)"]
        out = [f"{self.number} at {self.at} ({self.city}, trunk {self.trunk})"]
        out += [f"  -> {step.target}: {step.what}" for step in self.steps]
        return out


# ---- outbound --------------------------------------------------------------------------------


def _city_of_extension(plan: HostPlan, extension: str) -> tuple[CityPlan, ExtensionPlan] | None:
    for city in plan.cities:
        for salon in city.salons:
            for ext in salon.extensions:
                if ext.extension == extension:
                    return city, ext
    return None


def _extensions(plan: HostPlan) -> set[str]:
    return {e.extension for c in plan.cities for s in c.salons for e in s.extensions}


def _written(trunk: TrunkPlan, e164: str) -> str:
    """The number as the trunk's operator receives it (the route's CITYPBX_OUT)."""
    if e164.startswith("+7"):
        return format_number(e164, trunk.number_format)
    return international_number(e164, trunk.number_format)


def explain_dial(plan: HostPlan, extension: str, dialled: str) -> Outbound | None:
    """What the dialplan does when EXTENSION's phone dials DIALLED (None: no such extension
    on this host)."""
    found = _city_of_extension(plan, extension)
    if found is None:
        return None
    city, ext = found
    base = Outbound(extension, city.slug, ext.cos, dialled, decision=REFUSED, kind="unknown")
    # citypbx-phones-<city>: its own extensions first (emergency numbers, dial patterns),
    # then the included citypbx-internal (every served city's extensions).
    if dialled in city.emergency_numbers:
        trunks = tuple((t.id, dialled) for t in city.emergency_trunks)
        return replace(
            base, decision=ALLOWED, kind="emergency", number=dialled,
            number_class="emergency", trunks=trunks,
        )  # fmt: skip
    matching = sorted(
        (p for p in city.patterns if pattern_matches(p.pattern, dialled)),
        key=lambda p: pattern_order_key(p.pattern),
    )
    if matching:
        return _outbound(plan, city, replace(base, kind="outbound"), matching[0])
    extensions = _extensions(plan)
    if dialled in extensions:
        return replace(
            base, decision=ALLOWED, kind="internal", number=dialled, number_class="internal"
        )
    known = (*city.emergency_numbers, *(p.pattern for p in city.patterns), *extensions)
    if any(pattern_can_match(p, dialled) for p in known):
        return replace(
            base, kind="incomplete", reason="incomplete: more digits could make a number (484)"
        )
    return replace(base, reason="not a number the phones may dial (404)")


def _outbound(plan: HostPlan, city: CityPlan, base: Outbound, taken: DialPattern) -> Outbound:
    e164 = taken.e164_of(base.dialled)
    number_class = classify(e164, city.local_codes)
    base = replace(base, number=e164, number_class=number_class, pattern=taken.pattern)
    if number_class == "invalid":
        return replace(base, reason="refused: not a valid number")
    if not plan.settings.reaches(base.cos, number_class):
        ladder = plan.settings.classes_of_service
        by = tuple(cos for cos, reached in ladder.items() if number_class in reached)
        return replace(
            base, reason=f"refused: {number_class} is not in class {base.cos}", reached_by=by
        )
    trunks = tuple((t.id, _written(t, e164)) for t in city.trunks)
    return replace(base, decision=ALLOWED, trunks=trunks)


# ---- inbound ---------------------------------------------------------------------------------


def normalise_inbound(number: str) -> str | None:
    """The E.164 form citypbx-from-operator gives a number an operator sends (None: it is
    not one of the forms it takes, and the call is refused as unallocated)."""
    if re.fullmatch(r"\+7[0-9]{10}", number):
        return number
    if re.fullmatch(r"7[0-9]{10}", number):
        return "+" + number
    if re.fullmatch(r"8[0-9]{10}", number):
        return "+7" + number[1:]
    if re.fullmatch(r"[0-9]{10}", number):
        return "+7" + number
    return None


def _open(salon: SalonPlan, local: datetime) -> bool:
    """GotoIfTime over the salon's specs: inclusive minute ranges on the listed days."""
    minute = local.hour * 60 + local.minute
    weekday = DAYS_OF_WEEK[local.weekday()]
    for spec in salon.hours:
        start, end = (int(t[:2]) * 60 + int(t[3:]) for t in spec.times.split("-"))
        if start <= minute <= end and weekday in _days(spec.days):
            return True
    return False


def _days(spec: str) -> set[str]:
    days: set[str] = set()
    for part in spec.split("&"):
        first, _, last = part.partition("-")
        i, j = DAYS_OF_WEEK.index(first), DAYS_OF_WEEK.index(last or first)
        days |= {DAYS_OF_WEEK[k % 7] for k in range(i, j + 1 if j >= i else j + 8)}
    return days


def _target(target: str) -> str:
    """A dialplan target (`citypbx-salon-x,s,1`) as the inventory writes the destination."""
    context, exten, _ = target.split(",")
    for prefix, kind in (
        ("citypbx-salon-", "salon"),
        ("citypbx-voicemail-", "voicemail"),
        ("citypbx-menu-", "menu"),
    ):
        if context.startswith(prefix):
            return f"{kind}:{context.removeprefix(prefix)}"
    if context == "citypbx-internal":
        return f"extension:{exten}"
    if context.startswith("citypbx-forward-"):
        return f"external:{exten}"
    return "hangup"


def explain_inbound(plan: HostPlan, number: str, at: datetime) -> Inbound:
    """Where a call the operators deliver to NUMBER goes at AT (naive: the city's local time;
    aware: converted to it)."""
    e164 = normalise_inbound(number)
    for city in plan.cities:
        did = next((d for d in city.dids if d.number == e164), None)
        if did is None:
            continue
        zone = ZoneInfo(city.timezone)
        local = at.astimezone(zone) if at.tzinfo else at.replace(tzinfo=zone)
        steps = _follow(city, _target(did.target), local)
        return Inbound(number, local.strftime("%Y-%m-%d %H:%M %a"), city.slug, did.trunk, steps)
    return Inbound(number, at.strftime("%Y-%m-%d %H:%M"))


def _follow(city: CityPlan, target: str, local: datetime) -> tuple[Step, ...]:
    salons = {s.id: s for s in city.salons}
    menus = {m.id: m for m in city.menus}
    steps: list[Step] = []
    seen: set[str] = set()
    while target not in seen:
        seen.add(target)
        kind, _, name = target.partition(":")
        if kind == "salon":
            salon = salons[name]
            if local.strftime("%Y%m%d") in salon.holidays:
                steps.append(Step(target, "closed: a holiday"))
                target = _target(salon.after_hours)
                continue
            if not _open(salon, local):
                steps.append(Step(target, "closed: outside working hours"))
                target = _target(salon.after_hours)
                continue
            rings = ", ".join(e.extension for e in salon.extensions)
            steps.append(
                Step(target, f"open: rings {rings} ({salon.distribution}, {salon.ring_timeout} s);"
                     f" no answer -> {_target(salon.no_answer)}")
            )  # fmt: skip
            return tuple(steps)
        if kind == "menu":
            menu = menus[name]
            keys = ", ".join(f"{o.key} -> {_target(o.target)}" for o in menu.options)
            steps.append(Step(target, f"voice menu: {keys}; no key -> {_target(menu.default)}"))
            return tuple(steps)
        if kind == "voicemail":
            steps.append(Step(target, f"voicemail of salon {name}"))
        elif kind == "extension":
            steps.append(Step(target, f"rings extension {name}"))
        elif kind == "external":
            forward = next(f for f in city.forwards if f.number == name)
            steps.append(
                Step(target, f"forwarded to {name} ({forward.number_class}) through the city's "
                     "trunks, with the salon's caller ID")
            )  # fmt: skip
        else:
            steps.append(Step("hangup", "hung up"))
        return tuple(steps)
    steps.append(Step("hangup", "a loop of destinations"))
    return tuple(steps)
