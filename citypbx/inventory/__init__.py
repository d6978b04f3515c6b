"""Inventory loading and validation: one implementation for the CLI, Ansible and later code.

>>> from citypbx.inventory import validate
>>> report = validate("inventories/production")
>>> report.ok, [str(issue) for issue in report.warnings]  # doctest: +SKIP
(True, ['group_vars/all/vault.yml: (file): file holds 51 vault_* value(s) in clear text; ...'])
"""

from .issues import Issue, format_loc
from .loader import (
    Inventory,
    InventoryNotFoundError,
    Variable,
    load_inventory,
    resolve_vault_password_file,
)
from .models import City, Company, Extension, NumberRoute, Operator, Phone, Salon, Trunk
from .types import Destination, HoursRule, parse_destination, parse_hours
from .validate import Report, Summary, validate, validate_inventory
from .vault import vault_refs
from .yamlio import VaultValue

__all__ = [
    "City",
    "Company",
    "Destination",
    "Extension",
    "HoursRule",
    "Inventory",
    "InventoryNotFoundError",
    "Issue",
    "NumberRoute",
    "Operator",
    "Phone",
    "Report",
    "Salon",
    "Summary",
    "Trunk",
    "Variable",
    "VaultValue",
    "format_loc",
    "load_inventory",
    "parse_destination",
    "parse_hours",
    "resolve_vault_password_file",
    "validate",
    "validate_inventory",
    "vault_refs",
]
