"""From the validated model to the plan a host's Asterisk city files are rendered from.

Typed objects in (the pydantic `City`, `Operator` models, validated in resolved mode so
that secrets are values), frozen dataclasses out. The templates under
templates/asterisk/ read only the attributes declared here (StrictUndefined), so a typo
in a template is an error at render time, not an empty line in a config file.
Derivations (endpoint names, number formats per operator, GotoIfTime specs, dialplan
targets, dial patterns) live here and in dialplan.py, where they are unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..inventory.checks import CITY_PICKUP_PREFIX
from ..inventory.models import (
    COS_NAMES,
    FEATURE_CODES,
    City,
    ClassOfService,
    Menu,
    Operator,
    Salon,
    Trunk,
)
from ..inventory.names import NIGHT_STATES, endpoint_name, night_hint, night_state
from ..inventory.numbering import (
    NumberClass,
    OutboundClass,
    ZoneClass,
    classify,
    zone_patterns,
    zone_table,
)
from ..inventory.types import Destination, NonEmptyStr, RingTimeout
from .dialplan import (
    EMERGENCY_NUMBERS,
    DialPattern,
    HoursSpec,
    destination_target,
    dialplan_text,
    hours_specs,
    international_expression,
    number_expression,
    outbound_patterns,
)

ROLE_PREFIX = "asterisk_city_"
#: Channels of every trunk kept free for emergency calls (see TrunkPlan.calls).
EMERGENCY_RESERVE = 1


class CitySettings(BaseModel):
    """Host-wide choices of the asterisk_city role (its defaults/main.yml is the one place
    their defaults are written), checked like the inventory: strict, no unknown key."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    language: NonEmptyStr
    phone_codecs: list[NonEmptyStr] = Field(min_length=1)
    internal_ring_timeout: RingTimeout
    outbound_ring_timeout: RingTimeout
    recordings_dir: NonEmptyStr
    transport: NonEmptyStr  # a transport the asterisk role created, e.g. transport-udp
    # What each class of service may dial besides extensions and emergency numbers (always).
    classes_of_service: dict[ClassOfService, list[OutboundClass]]
    # The classes of number an `external:` destination may forward callers to (the company
    # pays for each such call): checked by the build and again by the dialplan.
    forward_classes: list[OutboundClass]

    @field_validator("classes_of_service")
    @classmethod
    def _every_class_named(
        cls, ladder: dict[ClassOfService, list[OutboundClass]]
    ) -> dict[ClassOfService, list[OutboundClass]]:
        missing = [name for name in COS_NAMES if name not in ladder]
        if missing:
            raise ValueError(
                f"names no list for {', '.join(missing)}; give every class of service its list"
                " (an empty list: extensions and emergency numbers only)"
            )
        return ladder

    def reaches(self, cos: str, number_class: str) -> bool:
        """Whether class of service COS may dial a number of NUMBER_CLASS."""
        return number_class in self.classes_of_service.get(cos, ())  # type: ignore[call-overload]

    @classmethod
    def from_role_vars(cls, variables: Mapping[str, object]) -> CitySettings:
        """From the role's variables (asterisk_city_*), as Ansible or `citypbx render` has
        them; raises pydantic's ValidationError (located by field name)."""
        return cls.model_validate(
            {
                name: variables[ROLE_PREFIX + name]
                for name in cls.model_fields
                if ROLE_PREFIX + name in variables
            }
        )


@dataclass(frozen=True)
class TrunkPlan:
    id: str
    operator: str
    auth: str
    server: str
    port: int
    username: str | None
    password: str | None
    priority: int
    channels: int
    match: tuple[str, ...]
    codecs: tuple[str, ...]
    dtmf: str
    caller_id_method: str
    number_format: str
    from_user: str | None
    from_domain: str | None
    number: str  # dialplan expression: the dialled number as this operator writes it
    international: str  # the same for international numbers
    caller_id: str  # dialplan expression: our caller ID as this operator writes it

    @property
    def calls(self) -> int:
        """Calls other than emergency ones the trunk may carry at once, inbound and outbound
        together: one channel of a trunk with more than one is kept for emergency calls, so
        that a flood of calls can never take the last line to 112."""
        return self.channels - EMERGENCY_RESERVE if self.channels > EMERGENCY_RESERVE else 1


@dataclass(frozen=True)
class DidPlan:
    number: str
    trunk: str
    record: bool
    notice: str | None  # sound played before the call rings (recorded numbers)
    target: str
    salon: str


@dataclass(frozen=True)
class ForwardPlan:
    """An outside number an `external:` destination of the city forwards callers to."""

    number: str
    number_class: NumberClass


@dataclass(frozen=True)
class MailboxPlan:
    pin: str
    emails: tuple[str, ...]


@dataclass(frozen=True)
class ExtensionPlan:
    extension: str
    endpoint: str
    name: str
    secret: str
    cos: str
    contacts: int


@dataclass(frozen=True)
class SalonPlan:
    id: str
    name: str
    caller_id: str
    hours: tuple[HoursSpec, ...]
    holidays: tuple[str, ...]
    distribution: str
    ring_timeout: int
    hunt_step: int
    after_hours: str
    no_answer: str
    members: tuple[str, ...]
    extensions: tuple[ExtensionPlan, ...]
    mailbox: MailboxPlan | None
    pickup_group: str  # named call and pickup group of the salon's phones

    @property
    def night_state(self) -> str:
        """The custom device state that is INUSE while staff have closed the salon (the night
        code); Asterisk keeps it in its database across restarts, a BLF key shows it."""
        return night_state(self.id)

    @property
    def night_hint(self) -> str:
        """The extension a phone's BLF key watches (and dials) for the salon's night state."""
        return night_hint(self.id)


@dataclass(frozen=True)
class MenuOptionPlan:
    key: str
    target: str


@dataclass(frozen=True)
class MenuPlan:
    id: str
    prompt: str
    timeout: int
    options: tuple[MenuOptionPlan, ...]
    default: str


@dataclass(frozen=True)
class CityPlan:
    slug: str
    name: str
    timezone: str
    area_code: str
    caller_id: str  # presented on a forward that did not come through a salon
    local_codes: tuple[str, ...]  # area codes whose numbers are local calls (area_code first)
    trunks: tuple[TrunkPlan, ...]
    emergency_trunks: tuple[TrunkPlan, ...]
    dids: tuple[DidPlan, ...]
    salons: tuple[SalonPlan, ...]
    menus: tuple[MenuPlan, ...]
    patterns: tuple[DialPattern, ...]
    emergency_numbers: tuple[str, ...]
    forwards: tuple[ForwardPlan, ...]

    @property
    def endpoints(self) -> tuple[str, ...]:
        """Every PJSIP endpoint of the city: trunks, then phones."""
        phones = (e.endpoint for s in self.salons for e in s.extensions)
        return (*(t.id for t in self.trunks), *phones)

    @property
    def registrations(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.trunks if t.auth == "registration")

    @property
    def contexts(self) -> tuple[str, ...]:
        """Dialplan contexts of the city that must exist once it is loaded."""
        own = [f"citypbx-did-{self.slug}", f"citypbx-phones-{self.slug}"]
        own += [f"citypbx-out-{self.slug}", f"citypbx-ext-{self.slug}"]
        own += [f"citypbx-transfer-{self.slug}", f"citypbx-local-{self.slug}"]
        own += [f"citypbx-forward-{self.slug}", f"citypbx-night-{self.slug}"]
        own += [f"citypbx-salon-{s.id}" for s in self.salons]
        own += [f"citypbx-menu-{m.id}" for m in self.menus]
        return tuple(own)


@dataclass(frozen=True)
class HostPlan:
    """Everything one PBX host receives for the cities it serves."""

    host: str
    cities: tuple[CityPlan, ...]  # sorted by slug
    settings: CitySettings

    @property
    def served(self) -> tuple[str, ...]:
        return tuple(city.slug for city in self.cities)

    @property
    def numbering(self) -> tuple[tuple[str, ZoneClass], ...]:
        """The numbering plan as extension patterns over E.164, each with its class."""
        return tuple(zone_patterns())

    @property
    def numbering_source(self) -> str:
        return zone_table().source

    @property
    def ladder(self) -> tuple[tuple[str, str], ...]:
        """(class of service, number class) for every pair the ladder allows."""
        ladder = self.settings.classes_of_service
        pairs = [(cos, cls) for cos in COS_NAMES for cls in ladder[cos]]  # type: ignore[index]
        # A forwarded caller is not an extension: its own rung, from forward_classes.
        pairs += [(FORWARD_COS, cls) for cls in self.settings.forward_classes]
        return tuple(pairs)

    @property
    def forward_cos(self) -> str:
        return FORWARD_COS

    @property
    def features(self) -> dict[str, str]:
        """The feature codes staff dial (one table: citypbx.inventory.models.FEATURE_CODES)."""
        return dict(FEATURE_CODES)

    @property
    def night_states(self) -> dict[str, str]:
        """The device states of a salon's night switch: closed (by staff) and open."""
        return dict(NIGHT_STATES)

    @property
    def shared_contexts(self) -> tuple[str, ...]:
        """Entry contexts of extensions.d/00-citypbx.conf, shared by every city."""
        return SHARED_CONTEXTS


#: The class of service a forwarded call goes out with (an `external:` destination).
FORWARD_COS = "forward"

# The entry contexts every city's trunks and phones pass through (00-citypbx.conf).
SHARED_CONTEXTS = (
    "citypbx-from-operator",
    "citypbx-did",
    "citypbx-did-unknown",
    "citypbx-internal",
    "citypbx-hangup",
    "citypbx-refused",
    "citypbx-numbering",
    "citypbx-cos",
    "citypbx-trunk-room",
)


def _date_key(value: date | str) -> str:
    return str(value).replace("-", "")


def _trunk_plan(trunk: Trunk, operator: Operator) -> TrunkPlan:
    profile = operator.profile
    return TrunkPlan(
        id=trunk.id,
        operator=trunk.operator,
        auth=trunk.auth,
        server=trunk.server,
        port=trunk.port,
        username=trunk.username,
        password=None if trunk.password is None else str(trunk.password),
        priority=trunk.priority,
        channels=trunk.channels,
        match=tuple(str(network) for network in trunk.match or ()),
        codecs=tuple(profile.codecs),
        dtmf=profile.dtmf,
        caller_id_method=profile.caller_id_method,
        number_format=profile.number_format,
        from_user=profile.from_user,
        from_domain=profile.from_domain,
        number=number_expression("CITYPBX_DIALLED", profile.number_format),
        international=international_expression("CITYPBX_DIALLED", profile.number_format),
        caller_id=number_expression("CITYPBX_CALLER_ID", profile.number_format),
    )


def _salon_plan(salon: Salon, slug: str, city: City, holidays: set[str]) -> SalonPlan:
    endpoints = {e.extension: endpoint_name(e.extension, str(e.secret)) for e in salon.extensions}
    extensions = tuple(
        ExtensionPlan(
            extension=ext.extension,
            endpoint=endpoints[ext.extension],
            name=dialplan_text(ext.name),
            secret=str(ext.secret),
            cos=ext.cos,
            contacts=max(1, sum(1 for p in salon.phones if p.extension == ext.extension)),
        )
        for ext in salon.extensions
    )
    return SalonPlan(
        id=salon.id,
        name=dialplan_text(salon.name),
        caller_id=salon.caller_id or city.caller_id,
        hours=tuple(hours_specs(salon.hours)),
        holidays=tuple(sorted(holidays | {_date_key(day) for day in salon.holidays})),
        distribution=salon.distribution,
        ring_timeout=salon.ring_timeout,
        hunt_step=max(5, salon.ring_timeout // len(endpoints)),
        after_hours=destination_target(salon.after_hours, slug),
        no_answer=destination_target(salon.no_answer, slug),
        members=tuple(endpoints[e.extension] for e in salon.extensions),
        extensions=extensions,
        mailbox=None
        if salon.voicemail is None
        else MailboxPlan(pin=str(salon.voicemail.pin), emails=tuple(salon.voicemail.email)),
        pickup_group=salon.id if city.pickup == "salon" else f"{CITY_PICKUP_PREFIX}{slug}",
    )


def _menu_plan(menu: Menu, slug: str) -> MenuPlan:
    return MenuPlan(
        id=menu.id,
        prompt=menu.prompt,
        timeout=menu.timeout,
        options=tuple(
            MenuOptionPlan(key=key, target=destination_target(destination, slug))
            for key, destination in sorted(menu.options.items())
        ),
        default=destination_target(menu.default, slug),
    )


def _salon_of(destination: Destination) -> str:
    return destination.target if destination.kind in {"salon", "voicemail"} else ""


def city_plan(
    slug: str, city: City, operators: Mapping[str, Operator], company_holidays: Iterable[date]
) -> CityPlan:
    """The plan of one city. `city` must have been validated in resolved mode."""
    trunks = tuple(
        _trunk_plan(trunk, operators[trunk.operator])
        for trunk in sorted(city.trunks, key=lambda t: t.priority)
    )
    emergency = tuple(t for t in trunks if t.id == city.emergency_trunk)
    emergency += tuple(t for t in trunks if t.id != city.emergency_trunk)
    dids = sorted(
        (
            DidPlan(
                number=route.number,
                trunk=trunk.id,
                record=route.record,
                notice=route.notice,
                target=destination_target(route.destination, slug),
                salon=_salon_of(route.destination),
            )
            for trunk in city.trunks
            for route in trunk.numbers
        ),
        key=lambda did: did.number,
    )
    holidays = {_date_key(day) for day in company_holidays}
    return CityPlan(
        slug=slug,
        name=dialplan_text(city.name),
        timezone=city.timezone,
        area_code=city.area_code,
        caller_id=city.caller_id,
        local_codes=(city.area_code, *city.other_area_codes),
        trunks=trunks,
        emergency_trunks=emergency,
        dids=tuple(dids),
        salons=tuple(_salon_plan(salon, slug, city, holidays) for salon in city.salons),
        menus=tuple(_menu_plan(menu, slug) for menu in city.menus),
        patterns=tuple(outbound_patterns(city.area_code)),
        emergency_numbers=EMERGENCY_NUMBERS,
        forwards=tuple(
            ForwardPlan(number, classify(number, (city.area_code, *city.other_area_codes)))
            for number in sorted(
                {d.target for _, d in city_destinations(city) if d.kind == "external"}
            )
        ),
    )


def city_destinations(city: City) -> list[tuple[tuple[str | int, ...], Destination]]:
    """Every destination of CITY with its place in the city's variable."""
    found: list[tuple[tuple[str | int, ...], Destination]] = []
    for t_index, trunk in enumerate(city.trunks):
        for n_index, route in enumerate(trunk.numbers):
            found.append(
                (("trunks", t_index, "numbers", n_index, "destination"), route.destination)
            )
    for s_index, salon in enumerate(city.salons):
        for key in ("after_hours", "no_answer"):
            found.append((("salons", s_index, key), getattr(salon, key)))
    for m_index, menu in enumerate(city.menus):
        for key, destination in sorted(menu.options.items()):
            found.append((("menus", m_index, "options", key), destination))
        found.append((("menus", m_index, "default"), menu.default))
    return found


def host_plan(
    host: str,
    cities: Mapping[str, City],
    operators: Mapping[str, Operator],
    company_holidays: Iterable[date],
    settings: CitySettings,
) -> HostPlan:
    """The plan of every city `host` serves (`cities`: slug -> city, resolved mode)."""
    holidays = list(company_holidays)
    return HostPlan(
        host=host,
        cities=tuple(city_plan(slug, cities[slug], operators, holidays) for slug in sorted(cities)),
        settings=settings,
    )
