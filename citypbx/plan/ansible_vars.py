"""Resolve one host's variables from any inventory source with Ansible's own loader, as a
playbook run would (group_vars, host_vars, vault), without contacting the host."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
#: The roles whose variables `citypbx render` needs, and the prefix of their variables.
RENDERED_ROLES = {"asterisk_city": "asterisk_", "provisioning_server": "provisioning_server_"}


class HostNotFoundError(Exception):
    """The inventory has no such host (a usage error)."""


class InventoryError(Exception):
    """Ansible could not read the inventory or decrypt its vault (the message says which)."""


def role_defaults(role: str = "asterisk_city") -> dict[str, Any]:
    """A role's defaults (defaults/main.yml): the one place they are written. Values that
    are Ansible expressions (`{{ playbook_dir }}`) mean nothing outside a play: dropped."""
    data = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text("utf-8")) or {}
    return {k: v for k, v in dict(data).items() if not (isinstance(v, str) and "{{" in v)}


def resolve_host_vars(
    inventory: str | Path,
    host: str,
    vault_password_file: str | Path | None = None,
) -> dict[str, Any]:
    """The host's citypbx_* and asterisk_* variables and its group_names, templated (vault
    references resolved) and made plain JSON data."""
    return _with_inventory(inventory, vault_password_file, lambda lo: _resolve(lo, inventory, host))


def group_hosts(
    inventory: str | Path, group: str, vault_password_file: str | Path | None = None
) -> list[str]:
    """The hosts of GROUP in INVENTORY, sorted ([] when there is no such group)."""

    def hosts(loader: Any) -> list[str]:  # noqa: ANN401 - ansible's DataLoader, untyped
        from ansible.inventory.manager import InventoryManager  # noqa: PLC0415

        manager = InventoryManager(loader=loader, sources=[str(inventory)])
        return (
            sorted(h.name for h in manager.get_hosts(pattern=group))
            if group in manager.groups
            else []
        )

    return _with_inventory(inventory, vault_password_file, hosts)


T = TypeVar("T")


def _with_inventory(
    inventory: str | Path, vault_password_file: str | Path | None, work: Callable[[Any], T]
) -> T:
    # ansible-core is a dependency of the package; imported here to keep `citypbx validate`
    # fast for those who never render.
    from ansible.errors import AnsibleError  # noqa: PLC0415
    from ansible.parsing.dataloader import DataLoader  # noqa: PLC0415
    from ansible.parsing.vault import VaultSecretsContext, get_file_vault_secret  # noqa: PLC0415

    loader = DataLoader()
    try:
        if vault_password_file:
            secret = get_file_vault_secret(filename=str(vault_password_file), loader=loader)
            secret.load()
            loader.set_vault_secrets([("default", secret)])
            if VaultSecretsContext.current(optional=True) is None:
                VaultSecretsContext.initialize(VaultSecretsContext([("default", secret)]))
        return work(loader)
    except AnsibleError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InventoryError(
            f"{inventory}: {first}; check the inventory and the vault password file"
        ) from None


def _resolve(
    loader: Any,  # noqa: ANN401 - ansible's DataLoader, untyped
    inventory: str | Path,
    host: str,
) -> dict[str, Any]:
    from ansible.inventory.manager import InventoryManager  # noqa: PLC0415
    from ansible.template import Templar  # noqa: PLC0415
    from ansible.vars.manager import VariableManager  # noqa: PLC0415

    manager = InventoryManager(loader=loader, sources=[str(inventory)])
    found = manager.get_host(host)
    if found is None:
        known = ", ".join(sorted(h.name for h in manager.get_hosts())) or "none"
        raise HostNotFoundError(f"no host {host!r} in {inventory} (hosts: {known})")
    variables = VariableManager(loader=loader, inventory=manager).get_vars(
        host=found, include_hostvars=False
    )
    wanted = {"group_names"}
    prefixes = ("citypbx_", *RENDERED_ROLES.values())
    wanted |= {name for name in variables if str(name).startswith(prefixes)}
    templar = Templar(loader=loader, variables=variables)
    resolved = {
        name: templar.template(variables[name]) for name in sorted(wanted) if name in variables
    }
    # Plain data, as a module receives its arguments (dates become ISO text).
    plain: dict[str, Any] = json.loads(json.dumps(resolved, default=str))
    return plain
