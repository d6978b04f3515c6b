"""Validate what Ansible resolved for one host, with the same model as the files on disk.

Works with any inventory source (a directory, AWX, a dynamic inventory): the input is the
host's variables after Ansible merged and templated them, so secrets are values here
(resolved mode: checked for strength, never echoed). Findings read
`host <name>: <variable>.<key path>: <what is wrong>; <how to fix it>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from ..phones import load_catalog
from .checks import CityEntry, CrossChecker, KnownIds, mail_relay_issues
from .errors import issues_from_validation_error
from .issues import Issue, sorted_issues
from .loader import Variable
from .models import HOLIDAYS, MAIL_RELAY, OPERATORS, City, Company
from .types import secrets_context

CITY_GROUP = re.compile(r"city_(?P<slug>[a-z][a-z0-9_]*)")
_RESOLVED = secrets_context("resolved")


@dataclass(frozen=True)
class HostReport:
    """Result of validating one host. `company` holds only the cities the host serves."""

    host: str
    errors: tuple[Issue, ...]
    company: Company | None

    @property
    def ok(self) -> bool:
        return not self.errors


def served_cities(group_names: object) -> list[str]:
    """Slugs of the city_<slug> groups a host is a member of."""
    if not isinstance(group_names, list | tuple):
        return []
    return sorted(
        match["slug"]
        for name in group_names
        if isinstance(name, str) and (match := CITY_GROUP.fullmatch(name))
    )


def host_variables(
    group_names: object,
    cities: Mapping[str, object],
    operators: object,
    holidays: object,
    mail_relay: object = None,
) -> dict[str, object]:
    """The variables `validate_host` reads, from the pieces a module is given (a city by its
    slug; operators, holidays or the mail relay left out when None, so that their absence
    is reported)."""
    variables: dict[str, object] = {"group_names": group_names}
    if operators is not None:
        variables["citypbx_operators"] = operators
    if holidays is not None:
        variables["citypbx_holidays"] = holidays
    if mail_relay is not None:
        variables["citypbx_mail_relay"] = mail_relay
    variables.update({f"citypbx_city_{slug}": city for slug, city in cities.items()})
    return variables


def validate_host(host: str, variables: Mapping[str, object]) -> HostReport:
    """Check one host's resolved variables: `group_names`, `citypbx_operators`,
    `citypbx_holidays` and `citypbx_city_<slug>` of every city group the host is in.
    Never raises on odd input: every problem is an Issue."""
    where = f"host {host}"
    errors: list[Issue] = []

    def var(name: str, value: object) -> Variable:
        return Variable(name, value, where, (name,), "host", host, False, False)

    slugs = served_cities(variables.get("group_names"))
    if not slugs:
        errors.append(
            Issue(
                where,
                ("group_names",),
                "the host is in no city_<slug> group, so a rollout would remove every city "
                "from it; add it to the city groups it serves under `cities` in the inventory",
            )
        )
    entries: list[CityEntry] = []
    raw_cities = []
    for slug in slugs:
        name = f"citypbx_city_{slug}"
        if name not in variables:
            errors.append(
                Issue(where, (name,), f"city group city_{slug} has no data; define {name}")
            )
            continue
        raw = variables[name]
        raw_cities.append(raw)
        try:
            city = City.model_validate(raw, context=_RESOLVED)
        except ValidationError as exc:
            errors += issues_from_validation_error(exc, where, (name,))
            continue
        entries.append(CityEntry(slug, var(name, raw), city))

    operators = _company_var(variables, "citypbx_operators", OPERATORS, where, errors)
    holidays = _company_var(variables, "citypbx_holidays", HOLIDAYS, where, errors)

    errors += CrossChecker(entries, operators, KnownIds.from_raw(raw_cities), load_catalog()).run()
    errors += _mail_relay_issues(variables, entries, where)
    company = None
    if not errors and operators is not None and holidays is not None:
        company = Company({e.slug: e.city for e in entries}, operators, holidays)
    return HostReport(host, sorted_issues(errors), company)


T = TypeVar("T")


def _company_var(
    variables: Mapping[str, object],
    name: str,
    adapter: TypeAdapter[T],
    where: str,
    errors: list[Issue],
) -> T | None:
    if name not in variables:
        errors.append(Issue(where, (name,), f"not defined; define {name} for this host"))
        return None
    try:
        return adapter.validate_python(variables[name], context=_RESOLVED)
    except ValidationError as exc:
        errors += issues_from_validation_error(exc, where, (name,))
        return None


def _mail_relay_issues(
    variables: Mapping[str, object], entries: list[CityEntry], where: str
) -> list[Issue]:
    """citypbx_mail_relay well formed, and present when a mailbox of the host e-mails."""
    name = "citypbx_mail_relay"
    try:
        relay = MAIL_RELAY.validate_python(variables.get(name), context=_RESOLVED)
    except ValidationError as exc:
        return issues_from_validation_error(exc, where, (name,))
    return mail_relay_issues(relay, where, (name,), entries)
