"""Phone provisioning: the configuration files of every desk phone, from the inventory.

>>> from citypbx.inventory import validate
>>> from citypbx.provisioning import render_company
>>> company = validate("inventories/production").company  # doctest: +SKIP
>>> files = render_company(company, settings, secrets)     # doctest: +SKIP
>>> sorted(files)[:2]                                       # doctest: +SKIP
['805ec0432101.boot', '805ec0432101.cfg']

The phone builder takes `City` models validated in resolved mode (secrets are the values):
`validate_cities` for city data as Ansible resolved it, `resolve_cities` (what render_company
does with `secrets["vault"]`) for a company validated from the files on disk.
"""

from .build import PhoneBuilder, Secrets, build_phones, check_company_secrets, clean_text
from .cities import resolve_cities, validate_cities
from .credentials import admin_password, http_password, http_username
from .errors import ProvisioningError
from .model import Line, LineKey, PhoneConfig, Provisioning
from .render import (
    TEMPLATES_DIR,
    Renderer,
    company_phones,
    default_renderer,
    render_cities,
    render_company,
)
from .settings import CitySettings, ProvisioningSettings, parse_settings

__all__ = [
    "TEMPLATES_DIR",
    "CitySettings",
    "Line",
    "LineKey",
    "PhoneBuilder",
    "PhoneConfig",
    "Provisioning",
    "ProvisioningError",
    "ProvisioningSettings",
    "Renderer",
    "Secrets",
    "admin_password",
    "build_phones",
    "check_company_secrets",
    "clean_text",
    "company_phones",
    "default_renderer",
    "http_password",
    "http_username",
    "parse_settings",
    "render_cities",
    "render_company",
    "resolve_cities",
    "validate_cities",
]
