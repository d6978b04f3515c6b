"""Render phone files: every file of a city or of the whole company in one call.

Each template is compiled once per Renderer (and the default Renderer once per process); the
files of a dialect are resolved once, not per phone. Output is a plain mapping file name ->
content, sorted by file name, so callers (tests, the Ansible module) decide where it goes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from ..inventory.models import City, Company
from ..phones import PhoneCatalog, load_catalog
from .build import Secrets, build_phones
from .cities import resolve_cities
from .errors import ProvisioningError
from .model import PhoneConfig
from .settings import ProvisioningSettings

# templates/ at the repository root: shared by the roles and this package (see README.md).
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "phones"


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The Jinja environment of the phone templates: strict, XML escaped, whitespace tidy."""
    return Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        # XML files escape every value; Yealink's key = value files have no escaping at all
        # (values are cleaned of control characters when the phone model is built).
        autoescape=select_autoescape(enabled_extensions=("xml.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


@dataclass(frozen=True)
class _FileSpec:
    pattern: str  # file name with {mac}
    template: Template
    context: Mapping[str, Any]  # the dialect's values and data


class Renderer:
    """Renders PhoneConfigs with the templates of their dialects (compiled once)."""

    def __init__(
        self, templates_dir: Path = TEMPLATES_DIR, catalog: PhoneCatalog | None = None
    ) -> None:
        self.catalog = catalog or load_catalog()
        self.env = make_environment(templates_dir)
        self._specs: dict[tuple[str, str], tuple[_FileSpec, ...]] = {}

    def specs(self, vendor: str, dialect: str) -> tuple[_FileSpec, ...]:
        """The files of a dialect: name pattern, compiled template, dialect context."""
        key = (vendor, dialect)
        if key not in self._specs:
            spec = self.catalog.dialects[vendor][dialect]  # type: ignore[index]
            context = {"spelling": spec.values, "dialect": spec.data}
            self._specs[key] = tuple(
                _FileSpec(pattern, self.env.get_template(template), context)
                for pattern, template in sorted(spec.files.items())
            )
        return self._specs[key]

    def paths(self, phone: PhoneConfig) -> list[str]:
        """The file names of a phone, without rendering them."""
        return [s.pattern.format(mac=phone.mac) for s in self.specs(phone.vendor, phone.dialect)]

    def render_phone(self, phone: PhoneConfig) -> dict[str, str]:
        return {
            spec.pattern.format(mac=phone.mac): spec.template.render(spec.context, phone=phone)
            for spec in self.specs(phone.vendor, phone.dialect)
        }

    def render(self, phones: Iterable[PhoneConfig]) -> dict[str, str]:
        """All files of PHONES, sorted by name; two phones writing one file is an error."""
        files: dict[str, str] = {}
        for phone in phones:
            for spec in self.specs(phone.vendor, phone.dialect):
                name = spec.pattern.format(mac=phone.mac)
                if name in files:
                    raise ProvisioningError(f"two phones write {name}; check their MACs")
                files[name] = spec.template.render(spec.context, phone=phone)
        return dict(sorted(files.items()))


@cache
def default_renderer() -> Renderer:
    """The process-wide Renderer over templates/phones (templates compiled on first use)."""
    return Renderer()


def _selected(slugs: Iterable[str], only: Collection[str] | None) -> list[str]:
    chosen = sorted(slugs)
    if only is None:
        return chosen
    unknown = sorted(set(only) - set(chosen))
    if unknown:
        raise ProvisioningError(
            f"no city {', '.join(unknown)} in the inventory; use one of {', '.join(chosen)}"
        )
    return [slug for slug in chosen if slug in only]


def company_phones(
    company: Company,
    settings: ProvisioningSettings | Mapping[str, Any],
    secrets: Secrets | Mapping[str, Any],
    *,
    cities: Collection[str] | None = None,
) -> list[PhoneConfig]:
    """The vendor-neutral phones of the company (or of the cities named), by city slug.

    The company may be validated from the files on disk (reference mode): its `{{ vault_* }}`
    secrets are resolved with `secrets["vault"]` first (cities.resolve_cities), trunk passwords
    included. A resolved-mode company (validate_host) needs no vault values.
    """
    selected = _selected(company.cities, cities)
    resolved = resolve_cities(
        {slug: company.cities[slug] for slug in selected}, secrets.get("vault") or {}
    )
    return build_phones(resolved.items(), settings, secrets)


def render_company(
    company: Company,
    settings: ProvisioningSettings | Mapping[str, Any],
    secrets: Secrets | Mapping[str, Any],
    *,
    cities: Collection[str] | None = None,
    renderer: Renderer | None = None,
) -> dict[str, str]:
    """Every phone file of the company, or of the cities named: file name -> content.

    `secrets`: {"provisioning_secret", "admin_secret", "vault": {vault_* name: value}}; the
    vault values resolve the `{{ vault_* }}` secrets of the validated inventory.
    Pure: reads the templates (once per process) and nothing else.
    """
    phones = company_phones(company, settings, secrets, cities=cities)
    return (renderer or default_renderer()).render(phones)


def render_cities(
    cities: Mapping[str, City],
    settings: ProvisioningSettings | Mapping[str, Any],
    secrets: Secrets | Mapping[str, Any],
    *,
    only: Collection[str] | None = None,
    renderer: Renderer | None = None,
) -> dict[str, str]:
    """Like render_company, for resolved-mode cities by slug (e.g. from validate_cities)."""
    selected = _selected(cities, only)
    phones = build_phones(((slug, cities[slug]) for slug in selected), settings, secrets)
    return (renderer or default_renderer()).render(phones)
