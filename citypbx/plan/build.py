"""One host's resolved variables -> validated model -> plan -> rendered files.

The Ansible module (plugins/modules/citypbx_asterisk_files.py) and `citypbx render` both
come through here, so a rollout and an offline render produce the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..inventory.errors import issues_from_validation_error
from ..inventory.issues import Issue
from ..inventory.models import City
from ..inventory.numbering import classify
from ..inventory.resolved import HostReport, validate_host
from .asterisk import ROLE_PREFIX, CitySettings, HostPlan, city_destinations, host_plan
from .render import RenderedFile, render_host


@dataclass(frozen=True)
class HostRender:
    report: HostReport
    plan: HostPlan | None
    files: tuple[RenderedFile, ...]

    @property
    def ok(self) -> bool:
        return self.report.ok and self.plan is not None


def build_host(
    host: str, variables: Mapping[str, object], role_vars: Mapping[str, object]
) -> HostRender:
    """Validate `variables` (resolved mode) and render every Asterisk city file of `host`.

    `role_vars` holds the asterisk_city_* settings (role defaults overlaid with the
    inventory's values). Nothing is rendered when anything is invalid.
    """
    report = validate_host(host, variables)
    settings = None
    try:
        settings = CitySettings.from_role_vars(role_vars)
    except ValidationError as exc:
        # Located as the role variables are named: asterisk_city_<field>.
        issues = [
            Issue(issue.file, (f"{ROLE_PREFIX}{issue.loc[0]}", *issue.loc[1:]), issue.message)
            for issue in issues_from_validation_error(exc, f"host {host}", ())
        ]
        report = HostReport(host, (*report.errors, *issues), None)
    if report.ok and report.company is not None and settings is not None:
        issues = forward_issues(host, report.company.cities, settings)
        if issues:
            report = HostReport(host, (*report.errors, *issues), None)
    if not report.ok or report.company is None or settings is None:
        return HostRender(report, None, ())
    company = report.company
    plan = host_plan(host, company.cities, company.operators, company.holidays, settings)
    return HostRender(report, plan, tuple(render_host(plan)))


def inventory_plans(
    inventory: str | Path, host: str | None = None, vault_password_file: str | Path | None = None
) -> tuple[list[HostPlan], list[str]]:
    """The plan of HOST (default: of every host of the pbx group) as a rollout would build
    it from INVENTORY, and every error that kept a host from having one."""
    from .ansible_vars import group_hosts, resolve_host_vars, role_defaults  # noqa: PLC0415

    hosts = [host] if host else group_hosts(inventory, "pbx", vault_password_file)
    plans, errors = [], []
    for name in hosts:
        variables = resolve_host_vars(inventory, name, vault_password_file=vault_password_file)
        result = build_host(name, variables, {**role_defaults(), **variables})
        errors += [str(error) for error in result.report.errors]
        if result.plan is not None:
            plans.append(result.plan)
    return plans, errors


def forward_issues(host: str, cities: Mapping[str, City], settings: CitySettings) -> list[Issue]:
    """An `external:` destination to a number whose class the company does not forward to
    (asterisk_city_forward_classes): every such call would be refused by the dialplan, so
    the rollout is refused first, naming the destination."""
    issues = []
    allowed = set(settings.forward_classes)
    for slug, city in sorted(cities.items()):
        codes = (city.area_code, *city.other_area_codes)
        for loc, destination in city_destinations(city):
            if destination.kind != "external":
                continue
            number_class = classify(destination.target, codes)
            if number_class not in allowed:
                issues.append(
                    Issue(
                        f"host {host}",
                        (f"citypbx_city_{slug}", *loc),
                        f"{destination.target} is a {number_class} number and "
                        f"{ROLE_PREFIX}forward_classes allows forwarding to "
                        f"{', '.join(settings.forward_classes) or 'no number'} only; forward "
                        "to another number or add the class there",
                    )
                )
    return issues
