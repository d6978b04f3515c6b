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
from .models import City, Operator, Salon
from .types import Destination, Network

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

    def run(self) -> list[Issue]:
        for entry in self.cities:
            self._check_city(entry)
        for field in ("after_hours", "no_answer"):
            self._check_loops(field)
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
        self._check_priorities(entry)
        for index in range(len(city.trunks)):
            self._check_trunk(entry, index)
        for index, salon in enumerate(city.salons):
            self._check_salon(entry, index, salon, owned)
        for index, menu in enumerate(city.menus):
            loc = ("menus", index)
            self._unique("menu id", menu.id, var, (*loc, "id"), "menu ids must be unique")
            for key, destination in menu.options.items():
                self._check_destination(var, (*loc, "options", key), destination)
            self._check_destination(var, (*loc, "default"), menu.default)

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
            self._check_destination(var, (*n_loc, "destination"), route.destination)

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
        if salon.caller_id is not None:
            self._check_caller_id(var, (*loc, "caller_id"), salon.caller_id, owned)
        for key in ("after_hours", "no_answer"):
            self._check_destination(var, (*loc, key), getattr(salon, key))
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

    # ---- destinations and loops --------------------------------------------------------------

    def _check_destination(self, var: Variable, loc: Loc, destination: Destination) -> None:
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

    def _check_loops(self, field: str) -> None:
        """`field` chains salon -> salon; a chain that comes back is a call loop."""
        places: dict[str, tuple[Variable, Loc]] = {}
        next_salon: dict[str, str] = {}
        for entry in self.cities:
            for index, salon in enumerate(entry.city.salons):
                places.setdefault(salon.id, (entry.var, ("salons", index, field)))
                destination: Destination = getattr(salon, field)
                if destination.kind == "salon":
                    next_salon[salon.id] = destination.target
        reported: set[str] = set()
        for start in sorted(next_salon):
            chain = [start]
            while chain[-1] in next_salon and next_salon[chain[-1]] not in chain:
                chain.append(next_salon[chain[-1]])
            if chain[-1] not in next_salon:
                continue  # the chain ends somewhere: no loop
            cycle = chain[chain.index(next_salon[chain[-1]]) :]
            if reported & set(cycle) or cycle[0] != start:
                continue  # report each loop once, at its first member
            reported.update(cycle)
            var, loc = places[start]
            if len(cycle) == 1:
                what = f"{field} sends calls back to this same salon (loop)"
            else:
                what = f"{field} loops: {' -> '.join([*cycle, start])}"
            self._add(var, loc, f"{what}; end it at voicemail:<salon>, extension:<ext> or hangup")
