"""Rules that span several values: ownership, uniqueness, references, loops, phones.

They run on the cities that passed the models; ids of cities that did not are still known
(from the raw data) so that a broken city does not make every reference to it fail too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from ..phones import PhoneCatalog, Vendor
from .issues import Issue, Loc, format_loc
from .loader import Variable
from .models import City, MailRelay, Operator, Salon
from .numbering import classify
from .types import VAULT_REFERENCE, Destination, Network
from .yamlio import VaultValue

#: The widest network an IP trunk may be identified by, per IP version: an operator's
#: SBCs sit in a few addresses, never in a /8.
MIN_TRUNK_PREFIX = {4: 16, 6: 32}
#: ::ffff:a.b.c.d: an IPv4 address written as IPv6, which would escape the IPv4 checks.
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


@dataclass(frozen=True)
class CityEntry:
    """A parsed city and the variable it came from."""

    slug: str
    var: Variable
    city: City


# Extensions Asterisk gives a meaning of its own (start, invalid, timeout, hangup, ...).
SPECIAL_EXTENSIONS = frozenset({"s", "i", "t", "T", "h", "o", "a", "e"})
# The pickup group of a city whose phones pick up any of the city's salons' calls.
CITY_PICKUP_PREFIX = "city-"


def mail_relay_issues(
    relay: MailRelay | None, file: str, loc: Loc, entries: list[CityEntry]
) -> list[Issue]:
    """The relay's login complete, and a relay there once a salon's mailbox e-mails."""
    if relay is not None:
        if (relay.username is None) != (relay.password is None):
            return [Issue(file, loc, "username and password go together; give both or neither")]
        if relay.security == "none" and relay.username is not None:
            return [
                Issue(
                    file,
                    (*loc, "security"),
                    "a login over an unencrypted connection would send the relay's password "
                    "in clear text (and msmtp refuses to); use starttls or tls",
                )
            ]
        return []
    return [
        Issue(
            entry.var.file,
            (*entry.var.loc, "salons", index, "voicemail", "email"),
            "messages are to be e-mailed but citypbx_mail_relay is not set, so none would "
            "leave; define it in group_vars/all/mail.yml or remove the addresses",
        )
        for entry in entries
        for index, salon in enumerate(entry.city.salons)
        if salon.voicemail is not None and salon.voicemail.email
    ]


@dataclass(frozen=True)
class KnownIds:
    """Salon ids and extensions of every city, including cities that failed validation."""

    salons: frozenset[str]
    extensions: frozenset[str]
    menus: frozenset[str] = frozenset()

    @classmethod
    def from_raw(cls, raw_cities: Iterable[object]) -> KnownIds:
        raw_cities = list(raw_cities)  # read twice below
        salons: set[str] = set()
        extensions: set[str] = set()
        # Raw values may be anything (a list where an id belongs): keep only strings.
        menus = {
            menu_id
            for city in raw_cities
            for menu in _items(city, "menus")
            if isinstance(menu_id := menu.get("id"), str)
        }
        for salon in (s for city in raw_cities for s in _items(city, "salons")):
            salon_id = salon.get("id")
            if isinstance(salon_id, str):
                salons.add(salon_id)
            for extension in _items(salon, "extensions"):
                number = extension.get("extension")
                if isinstance(number, str):
                    extensions.add(number)
        return cls(
            frozenset(salons),
            frozenset(extensions),
            frozenset(menus),
        )


def _secret_identity(secret: str | VaultValue) -> tuple[str, str]:
    """What makes two secrets the same without decrypting them: the value (resolved mode),
    the vault variable a `{{ vault_* }}` reference names, or an inline `!vault`'s ciphertext."""
    if isinstance(secret, VaultValue):
        return ("ciphertext", secret.ciphertext.strip())
    if match := VAULT_REFERENCE.fullmatch(secret.strip()):
        return ("reference", match[1])
    return ("value", secret)


def _colons(mac: str) -> str:
    """`805ec0432101` -> `80:5e:c0:43:21:01` (also for a 6-digit prefix)."""
    return ":".join(mac[i : i + 2] for i in range(0, len(mac), 2))


def _items(parent: object, key: str) -> list[dict[object, object]]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class CrossChecker:
    def __init__(
        self,
        cities: list[CityEntry],
        operators: dict[str, Operator] | None,
        known: KnownIds,
        catalog: PhoneCatalog,
    ) -> None:
        self.cities = cities
        self.operators = operators
        self.known = known
        self.catalog = catalog
        self.issues: list[Issue] = []
        # First place each company-wide unique value was seen: (kind, value) -> (var, loc).
        self._seen: dict[tuple[str, str], tuple[Variable, Loc]] = {}
        # Every network an IP trunk is identified by, company-wide: (network, trunk id).
        self._trunk_networks: list[tuple[Network, str]] = []
        # Whether each salon of a valid city has a mailbox (voicemail:<salon> needs one).
        self._mailboxes = {
            salon.id: salon.voicemail is not None for e in cities for salon in e.city.salons
        }
        # The company's own numbers: a forward to one of them would loop through the operator.
        self._own_numbers = {
            route.number for e in cities for trunk in e.city.trunks for route in trunk.numbers
        }

    def run(self) -> list[Issue]:
        for entry in self.cities:
            self._check_city(entry)
        self._check_loops()
        self._check_shared_secrets()
        return self.issues

    # ---- helpers -----------------------------------------------------------------------------

    def _add(self, var: Variable, loc: Loc, message: str) -> None:
        self.issues.append(Issue(var.file, (*var.loc, *loc), message))

    def _unique(
        self, kind: str, value: str, var: Variable, loc: Loc, fix: str, *, shown: str = ""
    ) -> None:
        """Company-wide uniqueness; the error names the first place as well."""
        first = self._seen.setdefault((kind, value), (var, loc))
        if first != (var, loc):
            where = f"{first[0].file}: {format_loc((*first[0].loc, *first[1]))}"
            self._add(var, loc, f"{kind} {shown or value} is also used at {where}; {fix}")

    # ---- city --------------------------------------------------------------------------------

    def _check_city(self, entry: CityEntry) -> None:
        city, var = entry.city, entry.var
        owned = {n.number for t in city.trunks for n in t.numbers}
        self._check_caller_id(var, ("caller_id",), city.caller_id, owned)
        trunk_ids = [t.id for t in city.trunks]
        if city.emergency_trunk not in trunk_ids:
            self._add(
                var,
                ("emergency_trunk",),
                f"{city.emergency_trunk!r} is not a trunk of this city"
                f"; use one of {', '.join(trunk_ids)}",
            )
        self._check_time_zone(var, city.timezone)
        self._check_priorities(entry)
        for index in range(len(city.trunks)):
            self._check_trunk(entry, index)
        for index, salon in enumerate(city.salons):
            self._check_salon(entry, index, salon, owned)
        for index, menu in enumerate(city.menus):
            loc = ("menus", index)
            self._unique("menu id", menu.id, var, (*loc, "id"), "menu ids must be unique")
            for key, destination in menu.options.items():
                self._check_destination(entry, (*loc, "options", key), destination)
            self._check_destination(entry, (*loc, "default"), menu.default)

    def _check_time_zone(self, var: Variable, zone: str) -> None:
        """The desk phones take a zone from their firmware's list, not any IANA name."""
        if self.catalog.time_zone(zone) is not None:
            return
        self._add(
            var,
            ("timezone",),
            f"the desk phones have no setting for {zone} (citypbx/data/phone_models.yml, "
            f"timezones); use one of {', '.join(sorted(self.catalog.timezones))}, or add the "
            "zone's Yealink and Grandstream entries there",
        )

    def _check_caller_id(self, var: Variable, loc: Loc, number: str, owned: set[str]) -> None:
        if number in owned:
            return
        self._add(
            var,
            loc,
            f"{number} is not a number of this city's trunks"
            "; use a number listed under one of this city's trunks",
        )

    def _check_priorities(self, entry: CityEntry) -> None:
        by_priority: dict[int, str] = {}
        for index, trunk in enumerate(entry.city.trunks):
            if trunk.priority in by_priority:
                self._add(
                    entry.var,
                    ("trunks", index, "priority"),
                    f"priority {trunk.priority} is already used by trunk "
                    f"{by_priority[trunk.priority]}; give each trunk of a city its own priority",
                )
            by_priority.setdefault(trunk.priority, trunk.id)
        if 1 not in by_priority:
            self._add(
                entry.var, ("trunks",), "no trunk has priority 1; make the primary trunk priority 1"
            )

    def _check_trunk(self, entry: CityEntry, index: int) -> None:
        var, trunk = entry.var, entry.city.trunks[index]
        loc: Loc = ("trunks", index)
        self._unique("trunk id", trunk.id, var, (*loc, "id"), "trunk ids must be unique")
        if self.operators is not None and trunk.operator not in self.operators:
            self._add(
                var,
                (*loc, "operator"),
                f"unknown operator {trunk.operator!r}; add it to citypbx_operators in "
                f"group_vars/all/operators.yml or use one of {', '.join(sorted(self.operators))}",
            )
        if trunk.auth == "registration":
            for key in ("username", "password"):
                if getattr(trunk, key) is None:
                    self._add(var, (*loc, key), f"auth: registration needs {key}; add it")
            if trunk.match is not None:
                self._add(var, (*loc, "match"), "match is only used with auth: ip; remove it")
        else:
            if not trunk.match:
                self._add(
                    var,
                    (*loc, "match"),
                    "auth: ip needs match (the operator's source networks); add them as CIDRs",
                )
            for m_index, network in enumerate(trunk.match or ()):
                self._check_trunk_network(var, (*loc, "match", m_index), network, trunk.id)
            if trunk.password is not None:
                self._add(
                    var,
                    (*loc, "password"),
                    "auth: ip must not have a password; remove it or use auth: registration",
                )
        for n_index, route in enumerate(trunk.numbers):
            n_loc = (*loc, "numbers", n_index)
            self._unique(
                "number",
                route.number,
                var,
                (*n_loc, "number"),
                "each number is owned by exactly one trunk; remove one of them",
            )
            self._check_destination(entry, (*n_loc, "destination"), route.destination)
            if route.notice is not None and not route.record:
                self._add(
                    var,
                    (*n_loc, "notice"),
                    "a recording notice on a number that is not recorded would tell callers "
                    "something untrue; set record: true or remove the notice",
                )

    # ---- salon -------------------------------------------------------------------------------

    def _check_trunk_network(self, var: Variable, loc: Loc, network: Network, trunk: str) -> None:
        """An IP trunk is whoever sends from its networks: a network that holds strangers, or
        another trunk's, lets them call as this trunk (on its number, at the company's cost)."""
        widest = MIN_TRUNK_PREFIX[network.version]
        if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(IPV4_MAPPED):
            self._add(
                var,
                loc,
                f"{network} is an IPv4-mapped IPv6 network; write the IPv4 network itself "
                "(what Asterisk matches the operator's packets against)",
            )
            return
        if network.prefixlen == 0:
            self._add(
                var,
                loc,
                f"{network} matches every address: anyone could call as trunk {trunk}; "
                "list only the operator's own source networks",
            )
            return
        if network.prefixlen < widest:
            self._add(
                var,
                loc,
                f"{network} is wider than /{widest}: strangers in it could call as trunk "
                f"{trunk}; list only the operator's own source networks (ask the operator)",
            )
        for other, other_trunk in self._trunk_networks:
            if (
                other_trunk != trunk
                and other.version == network.version
                and network.overlaps(other)
            ):
                self._add(
                    var,
                    loc,
                    f"{network} overlaps {other} of trunk {other_trunk}: a call of one would be "
                    "taken for the other; each trunk's networks must be its operator's own",
                )
        self._trunk_networks.append((network, trunk))

    def _check_salon(self, entry: CityEntry, index: int, salon: Salon, owned: set[str]) -> None:
        var, loc = entry.var, ("salons", index)
        self._unique("salon id", salon.id, var, (*loc, "id"), "salon ids must be unique")
        self._check_salon_id(var, (*loc, "id"), salon.id)
        if salon.voicemail is not None:
            seen: set[str] = set()
            for e_index, address in enumerate(salon.voicemail.email):
                if address.lower() in seen:
                    self._add(
                        var,
                        (*loc, "voicemail", "email", e_index),
                        f"{address} is listed twice; list each address once",
                    )
                seen.add(address.lower())
        if salon.caller_id is not None:
            self._check_caller_id(var, (*loc, "caller_id"), salon.caller_id, owned)
        for key in ("after_hours", "no_answer"):
            self._check_destination(entry, (*loc, key), getattr(salon, key))
        own_extensions = {e.extension for e in salon.extensions}
        for e_index, extension in enumerate(salon.extensions):
            self._unique(
                "extension",
                extension.extension,
                var,
                (*loc, "extensions", e_index, "extension"),
                "extensions must be unique; pick a free number",
            )
        for p_index, phone in enumerate(salon.phones):
            p_loc = (*loc, "phones", p_index)
            self._unique(
                "MAC",
                phone.mac,
                var,
                (*p_loc, "mac"),
                "each phone is listed once; remove one",
                shown=_colons(phone.mac),
            )
            self._check_phone_model(var, p_loc, phone.vendor, phone.model, phone.mac)
            if phone.extension not in own_extensions:
                self._add(
                    var,
                    (*p_loc, "extension"),
                    f"{phone.extension} is not an extension of salon {salon.id}; use one of "
                    f"{', '.join(sorted(own_extensions))}",
                )

    def _check_phone_model(
        self, var: Variable, loc: Loc, vendor: Vendor, model: str, mac: str
    ) -> None:
        models = self.catalog.models[vendor]
        if model not in models:
            owner = self.catalog.vendor_of_model(model)
            fix = (
                f"{model} is a {owner} phone; fix the vendor or the model"
                if owner
                else f"use one of {', '.join(sorted(models))}"
            )
            self._add(var, (*loc, "model"), f"unknown {vendor} model {model!r}; {fix}")
        oui_vendor = self.catalog.vendor_of_oui(mac)
        if oui_vendor == vendor:
            return
        oui = _colons(mac[:6])
        if oui_vendor is None:
            problem = f"MAC prefix {oui} is not a {vendor} prefix"
        else:
            problem = f"MAC prefix {oui} is a {oui_vendor} prefix, but vendor is {vendor}"
        self._add(
            var, (*loc, "mac"), f"{problem}; check the MAC on the phone's label and the vendor"
        )

    # ---- secrets -----------------------------------------------------------------------------

    def _check_shared_secrets(self) -> None:
        """Each extension has a secret of its own: a secret shared with another extension or a
        trunk lets one stolen phone file register as both. Trunks may share what an operator
        issued. Messages name the other place, never the secret."""
        first: dict[tuple[str, str], tuple[Variable, Loc, bool]] = {}
        places: list[tuple[tuple[str, str], Variable, Loc, bool]] = []
        for entry in self.cities:
            for t_index, trunk in enumerate(entry.city.trunks):
                if trunk.password is not None:
                    t_loc: Loc = ("trunks", t_index, "password")
                    places.append((_secret_identity(trunk.password), entry.var, t_loc, False))
            for s_index, salon in enumerate(entry.city.salons):
                for e_index, extension in enumerate(salon.extensions):
                    e_loc: Loc = ("salons", s_index, "extensions", e_index, "secret")
                    places.append((_secret_identity(extension.secret), entry.var, e_loc, True))
        for identity, var, loc, is_extension in places:
            seen = first.setdefault(identity, (var, loc, is_extension))
            if seen[:2] == (var, loc) or not (is_extension or seen[2]):
                continue
            where = f"{seen[0].file}: {format_loc((*seen[0].loc, *seen[1]))}"
            self._add(
                var,
                loc,
                f"secret is the same as the one at {where}; give each extension its own "
                "secret, e.g. openssl rand -base64 24",
            )

    # ---- destinations and loops --------------------------------------------------------------

    def _check_salon_id(self, var: Variable, loc: Loc, salon_id: str) -> None:
        """A salon id is also a dialplan extension (its mailbox, its night switch): Asterisk
        ignores '-' there, and some one-letter names are its own special extensions."""
        if salon_id in SPECIAL_EXTENSIONS or salon_id.startswith(CITY_PICKUP_PREFIX):
            self._add(
                var,
                loc,
                f"{salon_id!r} is a name the dialplan keeps for itself; choose another salon id",
            )
        if self._seen[("salon id", salon_id)] != (var, loc):
            return  # the same id twice: reported as such
        self._unique(
            "salon id without dashes",
            salon_id.replace("-", ""),
            var,
            loc,
            "Asterisk ignores '-' in extensions, so two such salons would share their "
            "mailbox and night switch; make the ids differ by more than a dash",
            shown=salon_id,
        )

    def _check_destination(self, entry: CityEntry, loc: Loc, destination: Destination) -> None:
        var = entry.var
        if destination.kind == "voicemail" and self._mailboxes.get(destination.target) is False:
            self._add(
                var,
                loc,
                f"salon {destination.target!r} has no mailbox: messages left there could never "
                "be heard; give that salon voicemail: {pin: '{{ vault_vm_<salon>_pin }}'}",
            )
        if destination.kind == "external":
            city = entry.city
            number_class = classify(destination.target, (city.area_code, *city.other_area_codes))
            if number_class == "invalid":
                self._add(
                    var,
                    loc,
                    f"{destination.target} is not a number a call can be forwarded to "
                    "(the numbering plan has no such number); fix the number",
                )
            elif destination.target in self._own_numbers:
                self._add(
                    var,
                    loc,
                    f"{destination.target} is one of the company's own numbers: the call would "
                    "go out through the operator and come back in; use salon:, menu: or "
                    "voicemail: for a destination of the company",
                )
        if destination.kind in ("salon", "voicemail"):
            if destination.target not in self.known.salons:
                self._add(
                    var,
                    loc,
                    f"no salon {destination.target!r} in any city; use an existing salon id",
                )
        elif destination.kind == "menu" and destination.target not in self.known.menus:
            self._add(
                var,
                loc,
                f"no menu {destination.target!r} in any city; use an existing menu id",
            )
        elif destination.kind == "extension" and destination.target not in self.known.extensions:
            self._add(
                var,
                loc,
                f"no extension {destination.target} in any salon; use an existing extension",
            )

    def _check_loops(self) -> None:
        """Salons and menus joined by the steps a call takes with nobody acting: a closed
        salon's after_hours, an unanswered salon's no_answer, a menu's default (no key, or a
        key without an option). A chain of them that comes back circles for ever on a trunk
        channel. Menu options are left out: a caller chose them, and "9: back to the main
        menu" is a design, not a loop.

        Each loop is reported at its first member (in sorted order) and that step is then taken
        out, as the fix would, so every loop that step does not end is reported too."""
        steps: dict[_Node, list[tuple[str, _Node]]] = {}
        places: dict[_Node, tuple[Variable, Loc]] = {}
        for entry in self.cities:
            for index, salon in enumerate(entry.city.salons):
                node = ("salon", salon.id)
                if node not in places:  # a duplicate id is reported by _unique
                    places[node] = (entry.var, ("salons", index))
                    steps[node] = _steps(
                        ("after_hours", salon.after_hours), ("no_answer", salon.no_answer)
                    )
            for index, menu in enumerate(entry.city.menus):
                node = ("menu", menu.id)
                if node not in places:
                    places[node] = (entry.var, ("menus", index))
                    steps[node] = _steps(("default", menu.default))
        removed: set[tuple[_Node, str]] = set()
        while (cycle := _find_cycle(steps, removed)) is not None:
            first = cycle.index(min(cycle))
            cycle = cycle[first:] + cycle[:first]
            (kind, name), field = cycle[0]
            removed.add(cycle[0])
            var, loc = places[(kind, name)]
            if len(cycle) == 1:
                what = f"{field} sends calls back to this same {kind} (loop)"
            elif all(node[0] == "salon" and step == field for node, step in cycle):
                what = f"{field} loops: {' -> '.join([*(n[1] for n, _ in cycle), name])}"
            else:
                chain = " -> ".join(f"{n[0]}:{n[1]} ({step})" for n, step in cycle)
                what = f"calls loop with nobody acting: {chain} -> {kind}:{name}"
            self._add(var, (*loc, field), f"{what}; {_END_LOOP}")


_Node = tuple[str, str]  # ("salon" | "menu", id)
_END_LOOP = "end the chain at voicemail:<salon>, extension:<ext> or hangup"


def _steps(*fields: tuple[str, Destination]) -> list[tuple[str, _Node]]:
    """The steps to another salon or menu (the others end the call's way)."""
    return [
        (field, (destination.kind, destination.target))
        for field, destination in fields
        if destination.kind in ("salon", "menu")
    ]


def _find_cycle(
    steps: dict[_Node, list[tuple[str, _Node]]], removed: set[tuple[_Node, str]]
) -> list[tuple[_Node, str]] | None:
    """One cycle of STEPS (without the REMOVED ones) as (node, step taken) pairs, or None.
    Depth first without recursion, starting from the nodes in sorted order."""
    state: dict[_Node, bool] = {}  # True: on the current path; False: done, no cycle through it
    for start in sorted(steps):
        if start in state:
            continue
        path: list[tuple[_Node, str]] = []  # the nodes above the current one, and their steps
        stack = [(start, iter(steps[start]))]
        state[start] = True
        while stack:
            node, pending = stack[-1]
            for field, target in pending:
                if (node, field) in removed:
                    continue
                if state.get(target) is True:
                    path.append((node, field))
                    return path[[n for n, _ in path].index(target) :]
                if target not in state:
                    path.append((node, field))
                    state[target] = True
                    stack.append((target, iter(steps.get(target, ()))))
                    break
            else:
                state[node] = False
                stack.pop()
                if path:
                    path.pop()
    return None
