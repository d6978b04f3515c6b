"""The SIP transport the phones are told must be one their PBX opens.

The phones' transport is set in `citypbx_phone_settings` (sip_transport, per city under
`cities`); the PBX's transports are `asterisk_sip_protocols` of the host (role asterisk).
Trunks and extensions have no transport of their own (an unknown key there is refused by the
models). Read from the inventory files with Ansible's precedence, simplified: host variables,
then the host's groups, deeper groups winning, then the role's default.
"""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING

from .issues import Issue, Loc, show
from .loader import Group, Inventory, Variable

if TYPE_CHECKING:
    from ..provisioning.settings import ProvisioningSettings

#: What the asterisk role opens when asterisk_sip_protocols is not set, and all it can open
#: (roles/asterisk: defaults/main.yml and the choices of meta/argument_specs.yml; a unit
#: test keeps the three in step).
ASTERISK_SIP_PROTOCOLS = ("udp", "tcp")
SIP_PROTOCOLS = "asterisk_sip_protocols"
_WORD = re.compile(r"[a-z0-9]{1,12}")


def check_phone_transports(
    inventory: Inventory,
    city_groups: dict[str, Group],
    settings: list[tuple[Variable, ProvisioningSettings]],
) -> list[Issue]:
    """Errors: a protocols variable the role cannot open, and phones told a transport the PBX
    serving their city has not opened (one error per setting and PBX host)."""
    errors: list[Issue] = []
    definitions = [v for v in inventory.variables if v.name == SIP_PROTOCOLS]
    valid = {id(v): protocols for v in definitions if (protocols := _protocols(v, errors))}
    chosen_for: dict[str, Variable | None] = {}  # host -> the definition that applies
    problems: dict[tuple[str, Loc, str, str], tuple[str, ...]] = {}
    for var, phone_settings in settings:
        for slug, group in sorted(city_groups.items()):
            override = phone_settings.cities.get(slug)
            overridden = override is not None and override.sip_transport is not None
            loc: Loc = ("cities", slug, "sip_transport") if overridden else ("sip_transport",)
            transport = phone_settings.for_city(slug).sip_transport
            for host in group.hosts:
                if host not in chosen_for:
                    chosen_for[host] = _host_definition(inventory, host, definitions)
                chosen = chosen_for[host]
                if chosen is not None and id(chosen) not in valid:
                    continue  # that definition is reported already
                protocols = ASTERISK_SIP_PROTOCOLS if chosen is None else valid[id(chosen)]
                if transport not in protocols:
                    problems[(var.file, (*var.loc, *loc), transport, host)] = protocols
    for (file, where, wanted, host), protocols in problems.items():
        role = (
            ""
            if wanted in ASTERISK_SIP_PROTOCOLS
            else f", and the asterisk role cannot open {wanted}"
        )
        errors.append(
            Issue(
                file,
                where,
                f"phones would register over {wanted}, but PBX {host} has no {wanted} "
                f"transport ({SIP_PROTOCOLS}: {', '.join(protocols)}{role})"
                f"; use {' or '.join(protocols)}",
            )
        )
    return errors


def _protocols(var: Variable, errors: list[Issue]) -> tuple[str, ...]:
    """The protocols of one definition, () after reporting why they cannot be used."""
    value = var.value
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        got = show(value) if not isinstance(value, list) else "a list holding something else"
        errors.append(
            Issue(
                var.file,
                var.loc,
                f"expected a list of protocol names, got {got}; write e.g. [udp, tcp]",
            )
        )
        return ()
    unknown = [item for item in value if item not in ASTERISK_SIP_PROTOCOLS]
    for item in unknown:
        errors.append(
            Issue(
                var.file,
                var.loc,
                f"the asterisk role has no {_named(item)} transport (it opens "
                f"{' and '.join(ASTERISK_SIP_PROTOCOLS)}); remove it",
            )
        )
    if not value:
        errors.append(Issue(var.file, var.loc, "no protocol: the PBX would not listen; list udp"))
    return () if unknown or not value else tuple(value)


def _named(text: str) -> str:
    """A protocol name as written when it looks like one, else quoted and cut."""
    return text if _WORD.fullmatch(text) else show(text)


def _host_definition(
    inventory: Inventory, host: str, definitions: list[Variable]
) -> Variable | None:
    """The definition that applies to HOST, as Ansible would pick it: host variables over
    group variables; among groups the deeper, then the later by name; group_vars files over
    the inline variables of hosts.yml."""
    own = [v for v in definitions if v.scope == "host" and v.owner == host]
    if own:
        return max(own, key=lambda v: v.from_vars_dir)
    depths = _group_depths(inventory.groups)
    mine = _groups_of(inventory.groups, host)
    candidates = [v for v in definitions if v.scope == "group" and v.owner in mine]
    if not candidates:
        return None
    return max(candidates, key=lambda v: (depths.get(v.owner, 0), v.owner, v.from_vars_dir))


def _group_depths(groups: dict[str, Group]) -> dict[str, int]:
    """Each group's distance from `all` (breadth first: a loop of children ends)."""
    depths = {"all": 0}
    queue = deque(["all"])
    while queue:
        name = queue.popleft()
        for child in groups[name].children if name in groups else []:
            if child not in depths:
                depths[child] = depths[name] + 1
                queue.append(child)
    return depths


def _groups_of(groups: dict[str, Group], host: str) -> set[str]:
    """The groups HOST is in, directly or through children, and `all`."""
    parents: dict[str, set[str]] = {}
    for group in groups.values():
        for child in group.children:
            parents.setdefault(child, set()).add(group.name)
    found = {"all"}
    queue = deque(name for name, group in groups.items() if host in group.hosts)
    while queue:
        name = queue.popleft()
        if name not in found:
            found.add(name)
            queue.extend(parents.get(name, ()))
    return found
