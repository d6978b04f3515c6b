"""Secrets: clear-text detection, `{{ vault_* }}` references and their definitions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from .errors import is_secret_key
from .issues import Issue, Loc
from .loader import Inventory, Variable
from .types import CLEAR_TEXT, is_vault_secret
from .yamlio import VaultValue

_JINJA = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_VAULT_NAME = re.compile(r"\bvault_[A-Za-z0-9_]+")


def walk(value: object, loc: Loc = ()) -> Iterator[tuple[Loc, object]]:
    """Every value nested in `value` (itself included) with its key path."""
    yield loc, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*loc, index))


def references(inventory: Inventory) -> list[tuple[Variable, Loc, str]]:
    """Every `vault_*` name used inside a Jinja expression, with where it is used."""
    found: list[tuple[Variable, Loc, str]] = []
    for var in inventory.variables:
        for loc, value in walk(var.value):
            if isinstance(value, str):
                for expression in _JINJA.findall(value):
                    found.extend((var, loc, name) for name in _VAULT_NAME.findall(expression))
    return found


def vault_refs(inventory: Inventory) -> list[str]:
    """Sorted, unique `vault_*` names the inventory references."""
    return sorted({name for _, _, name in references(inventory)})


def check_secrets(inventory: Inventory, modelled: set[str]) -> tuple[list[Issue], list[Issue]]:
    """Errors and warnings about secrets.

    `modelled` names variables whose secret fields the models already checked; every other
    variable is scanned for keys that look like secrets (password, secret, *_password, ...).
    """
    errors: list[Issue] = []
    for var in inventory.variables:
        if var.name in modelled or var.name.startswith("vault_"):
            continue
        for loc, value in walk(var.value, var.loc):
            if is_secret_key(loc[-1]) and value is not None and not is_vault_secret(value):
                errors.append(Issue(var.file, loc, CLEAR_TEXT))

    defined = {v.name for v in inventory.variables if v.name.startswith("vault_")}
    # With a file unread (encrypted, broken), "not defined" would be guesswork.
    if not inventory.locked_files and not inventory.unread_files:
        for var, loc, name in references(inventory):
            if name not in defined:
                errors.append(
                    Issue(
                        var.file,
                        (*var.loc, *loc),
                        f"{name} is not defined; add it to group_vars/all/vault.yml "
                        "(then encrypt the file with ansible-vault)",
                    )
                )

    clear = Counter(
        v.file
        for v in inventory.variables
        if v.name.startswith("vault_")
        and not v.file_encrypted
        and not isinstance(v.value, VaultValue)
    )
    warnings = [
        Issue(
            file,
            (),
            f"file holds {count} vault_* value(s) in clear text; encrypt them: "
            f"ansible-vault encrypt {file}",
        )
        for file, count in sorted(clear.items())
    ]
    return errors, warnings
