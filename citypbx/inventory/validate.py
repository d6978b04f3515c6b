"""Validate a whole inventory directory and report every problem at once."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import TypeAdapter, ValidationError

from ..phones import load_catalog
from .checks import CityEntry, CrossChecker, KnownIds, mail_relay_issues
from .errors import issues_from_validation_error
from .issues import Issue, sorted_issues
from .loader import Group, Inventory, Variable, load_inventory, resolve_vault_password_file
from .models import HOLIDAYS, MAIL_RELAY, OPERATORS, City, Company
from .transports import check_phone_transports
from .types import CLEAR_TEXT, is_vault_secret
from .vault import check_secrets

if TYPE_CHECKING:
    from ..provisioning.settings import ProvisioningSettings

CITY_VARIABLE = re.compile(r"citypbx_city_(?P<slug>.*)", re.DOTALL)
CITY_GROUP = re.compile(r"city_(?P<slug>.*)", re.DOTALL)
SLUG = re.compile(r"[a-z][a-z0-9_]*")
# Company-wide variables and the file they belong in (any file of group_vars/all/ is accepted).
COMPANY_VARIABLES = {
    "citypbx_operators": "group_vars/all/operators.yml",
    "citypbx_holidays": "group_vars/all/holidays.yml",
    "citypbx_mail_relay": "group_vars/all/mail.yml",
}
# Company secrets that are not part of a city (each must be a vault reference).
SECRET_SETTINGS = frozenset({"citypbx_provisioning_secret", "citypbx_phone_admin_secret"})
# Read by the loader itself (overlay.py): the data it supplies is what gets validated.
OVERLAY_VARIABLE = "citypbx_overlay"
# Company settings checked by their own model (the first error of each is reported).
PHONE_SETTINGS = "citypbx_phone_settings"
T = TypeVar("T")
LOCKED = (
    "file is encrypted with ansible-vault; pass --vault-password-file "
    "or set ANSIBLE_VAULT_PASSWORD_FILE"
)
SKIPPED = (
    "not checked: file is encrypted with ansible-vault and no vault password file was given"
    "; pass one to check it"
)


@dataclass(frozen=True)
class Summary:
    cities: int = 0
    trunks: int = 0
    numbers: int = 0
    salons: int = 0
    extensions: int = 0
    phones: int = 0

    @classmethod
    def of(cls, cities: list[City]) -> Summary:
        trunks = [t for c in cities for t in c.trunks]
        salons = [s for c in cities for s in c.salons]
        return cls(
            cities=len(cities),
            trunks=len(trunks),
            numbers=sum(len(t.numbers) for t in trunks),
            salons=len(salons),
            extensions=sum(len(s.extensions) for s in salons),
            phones=sum(len(s.phones) for s in salons),
        )

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return ", ".join(f"{count} {name}" for name, count in self.as_dict().items())


@dataclass(frozen=True)
class Report:
    """Result of a validation. `company` is set only when there are no errors."""

    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    company: Company | None
    summary: Summary

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(
    path: str | Path,
    vault_password_file: str | Path | None = None,
    *,
    skip_encrypted: bool = False,
) -> Report:
    """Load and check the inventory directory at `path`.

    `vault_password_file` decrypts whole-file vaults; it defaults to $ANSIBLE_VAULT_PASSWORD_FILE.
    Without one, an encrypted file is an error, or only a warning with `skip_encrypted` (for
    callers such as the Ansible module that cannot see the play's vault secrets).
    Raises InventoryNotFoundError if `path` is not a directory; every other problem is reported.
    """
    inventory = load_inventory(path, resolve_vault_password_file(vault_password_file))
    return validate_inventory(inventory, skip_encrypted=skip_encrypted)


def validate_inventory(inventory: Inventory, *, skip_encrypted: bool = False) -> Report:
    errors = list(inventory.errors)
    warnings = list(inventory.warnings)
    for file in inventory.locked_files:
        (warnings if skip_encrypted else errors).append(
            Issue(file, (), SKIPPED if skip_encrypted else LOCKED)
        )
    city_groups = _city_groups(inventory, errors)
    found = _Variables(inventory, city_groups, errors, warnings)
    _report_cities_without_data(inventory, city_groups, found.cities, errors)

    operators = _parse_company_var(found.company, "citypbx_operators", OPERATORS, errors)
    holidays = _parse_company_var(found.company, "citypbx_holidays", HOLIDAYS, errors)
    errors += _mail_relay_issues(found)
    known = KnownIds.from_raw(var.value for var in found.cities.values())
    errors += CrossChecker(found.entries, operators, known, load_catalog()).run()
    errors += check_phone_transports(inventory, city_groups, found.phone_settings)

    modelled = {var.name for var in found.cities.values()} | set(found.company)
    secret_errors, secret_warnings = check_secrets(inventory, modelled)
    errors += secret_errors
    warnings += secret_warnings

    company = None
    if not errors and operators is not None and holidays is not None:
        company = Company({e.slug: e.city for e in found.entries}, operators, holidays)
    summary = Summary.of([e.city for e in found.entries])
    return Report(sorted_issues(errors), sorted_issues(warnings), company, summary)


class _Variables:
    """The citypbx_* variables, checked for placement; cities parsed with the model."""

    def __init__(
        self,
        inventory: Inventory,
        city_groups: dict[str, Group],
        errors: list[Issue],
        warnings: list[Issue],
    ) -> None:
        self.cities: dict[str, Variable] = {}  # slug -> its variable, in the right place
        self.entries: list[CityEntry] = []  # the cities that passed the model
        self.company: dict[str, Variable] = {}  # citypbx_operators, citypbx_holidays
        # Every citypbx_phone_settings that passed its model.
        self.phone_settings: list[tuple[Variable, ProvisioningSettings]] = []
        for var in inventory.variables:
            if match := CITY_VARIABLE.fullmatch(var.name):
                if _city_variable_in_place(var, match["slug"], city_groups, errors):
                    self._parse_city(match["slug"], var, errors)
            elif var.name in COMPANY_VARIABLES:
                if var.scope == "group" and var.owner == "all" and var.from_vars_dir:
                    self.company[var.name] = var
                else:
                    errors.append(_misplaced(var, COMPANY_VARIABLES[var.name], "company-wide data"))
            elif var.name == PHONE_SETTINGS:
                if (settings := _check_phone_settings(var, errors)) is not None:
                    self.phone_settings.append((var, settings))
            elif var.name in SECRET_SETTINGS:
                if not is_vault_secret(var.value):
                    errors.append(Issue(var.file, var.loc, CLEAR_TEXT))
            elif var.name == OVERLAY_VARIABLE:
                continue
            elif var.name.startswith("citypbx_"):
                warnings.append(
                    Issue(var.file, var.loc, "unknown citypbx_ variable; check its spelling")
                )

    def _parse_city(self, slug: str, var: Variable, errors: list[Issue]) -> None:
        self.cities[slug] = var
        try:
            self.entries.append(CityEntry(slug, var, City.model_validate(var.value)))
        except ValidationError as exc:
            errors += issues_from_validation_error(exc, var.file, var.loc)


def _report_cities_without_data(
    inventory: Inventory,
    city_groups: dict[str, Group],
    with_data: dict[str, Variable],
    errors: list[Issue],
) -> None:
    # Files reported as a whole (unreadable, refused, not a mapping): their cities say nothing.
    unreadable = {issue.file for issue in errors if issue.loc == ()} | set(inventory.unread_files)
    for slug, group in sorted(city_groups.items()):
        home = f"group_vars/city_{slug}"
        if slug in with_data or any(f.startswith((f"{home}.", f"{home}/")) for f in unreadable):
            continue  # has data, or its file is broken and that is already reported
        errors.append(
            Issue(
                inventory.hosts_file,
                group.loc,
                f"city group has no data; define citypbx_city_{slug} in {home}.yml",
            )
        )


def _city_groups(inventory: Inventory, errors: list[Issue]) -> dict[str, Group]:
    """City slug -> group, for the children of group `cities`; checks hosts.yml's shape."""
    file = inventory.hosts_file
    if not (inventory.root / file).is_file():
        return {}  # the loader already reported the missing file
    pbx = inventory.groups.get("pbx")
    if pbx is None or not pbx.hosts:
        errors.append(
            Issue(file, pbx.loc if pbx else (), "group pbx has no hosts; list the Asterisk host(s)")
        )
    cities = inventory.groups.get("cities")
    if cities is None or not cities.children:
        errors.append(
            Issue(
                file,
                cities.loc if cities else (),
                "no city groups; add all.children.cities.children.city_<slug> for each city",
            )
        )
        return {}
    result = {}
    for name in cities.children:
        group = inventory.groups[name]
        match = CITY_GROUP.fullmatch(name)
        if not match or not SLUG.fullmatch(match["slug"]):
            errors.append(
                Issue(
                    file,
                    group.loc,
                    "a city group is named city_<slug> (slug: a-z, 0-9, _; letter first)"
                    "; rename the group",
                )
            )
            continue
        result[match["slug"]] = group
        if not group.hosts:
            errors.append(
                Issue(file, group.loc, "no host serves this city; list the PBX host(s) in hosts")
            )
        for host in group.hosts:
            if pbx is not None and pbx.hosts and host not in pbx.hosts:
                errors.append(
                    Issue(
                        file,
                        (*group.loc, "hosts", host),
                        "host is not in group pbx; city groups list PBX hosts only",
                    )
                )
    return result


def _city_variable_in_place(
    var: Variable, slug: str, city_groups: dict[str, Group], errors: list[Issue]
) -> bool:
    if not SLUG.fullmatch(slug):
        errors.append(
            Issue(
                var.file,
                var.loc,
                "not a valid city variable name; use citypbx_city_<slug> "
                "(slug: a-z, 0-9, _; letter first)",
            )
        )
        return False
    if slug not in city_groups:
        errors.append(
            Issue(
                var.file,
                var.loc,
                f"no group city_{slug} under 'cities' in hosts.yml; add the group "
                "or remove this variable",
            )
        )
        return False
    if var.scope == "group" and var.owner == f"city_{slug}" and var.from_vars_dir:
        return True
    errors.append(_misplaced(var, f"group_vars/city_{slug}.yml", "city data"))
    return False


def _misplaced(var: Variable, home: str, what: str) -> Issue:
    return Issue(var.file, var.loc, f"{what} must be defined in {home}; move it there")


def _mail_relay_issues(found: _Variables) -> list[Issue]:
    """citypbx_mail_relay (optional) well formed; needed once a mailbox e-mails."""
    var = found.company.get("citypbx_mail_relay")
    if var is None:
        return mail_relay_issues(None, COMPANY_VARIABLES["citypbx_mail_relay"], (), found.entries)
    try:
        relay = MAIL_RELAY.validate_python(var.value)
    except ValidationError as exc:
        return issues_from_validation_error(exc, var.file, var.loc)
    return mail_relay_issues(relay, var.file, var.loc, found.entries)


def _parse_company_var(
    company_vars: dict[str, Variable],
    name: str,
    adapter: TypeAdapter[T],
    errors: list[Issue],
) -> T | None:
    var = company_vars.get(name)
    if var is None:
        errors.append(
            Issue(COMPANY_VARIABLES[name], (name,), f"not defined; define {name} in this file")
        )
        return None
    try:
        return adapter.validate_python(var.value)
    except ValidationError as exc:
        errors.extend(issues_from_validation_error(exc, var.file, var.loc))
        return None


def _check_phone_settings(var: Variable, errors: list[Issue]) -> ProvisioningSettings | None:
    """citypbx_phone_settings, through the provisioning settings model."""
    from ..provisioning.settings import ProvisioningSettings  # noqa: PLC0415 - import cycle

    try:
        return ProvisioningSettings.model_validate(var.value)
    except ValidationError as exc:
        errors += issues_from_validation_error(exc, var.file, var.loc)
        return None
