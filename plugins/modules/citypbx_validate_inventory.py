#!/usr/bin/python
"""Ansible module: validate a citypbx inventory directory (thin wrapper over the package)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_validate_inventory
short_description: Validate a citypbx inventory directory before any host is touched
description:
  - Loads C(hosts.yml), C(group_vars/) and C(host_vars/) of an inventory directory and checks
    cities, trunks, numbers, salons, extensions, phones, operators, holidays and secrets
    against the citypbx contract.
  - >-
    Reports B(all) errors at once, one per line, as
    C(<file>: <key path>: <what is wrong>; <how to fix it>).
  - >-
    Read-only; never reports a change. Runs on the controller (C(connection: local)) with
    the interpreter that runs Ansible, which must have the citypbx package installed.
version_added: "0.1.0"
options:
  path:
    description: Inventory directory (the one holding C(hosts.yml)).
    type: path
    required: true
  vault_password_file:
    description:
      - File holding the vault password, to check whole-file vaults
        (e.g. C(group_vars/all/vault.yml)).
      - Defaults to the E(ANSIBLE_VAULT_PASSWORD_FILE) environment variable.
      - A module cannot see the vault secrets given to C(ansible-playbook), hence this option.
    type: path
  skip_encrypted:
    description:
      - Without a vault password file, report a vault-encrypted file as a warning
        (left unchecked) instead of an error.
    type: bool
    default: true
requirements:
  - citypbx (C(pip install -e .) from the repository, into the interpreter running Ansible)
notes:
  - Supports check mode; the result is the same in both modes.
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Validate the inventories of this play
  citypbx_validate_inventory:
    path: "{{ item }}"
  loop: "{{ ansible_inventory_sources }}"
  delegate_to: localhost
  run_once: true

- name: Validate production, vault included
  citypbx_validate_inventory:
    path: "{{ playbook_dir }}/../inventories/production"
    vault_password_file: ~/.config/citypbx/vault-password
    skip_encrypted: false
"""

RETURN = r"""
errors:
  description: >-
    Every error, one line each (C(<file>: <key path>: <what>; <fix>)), sorted.
  returned: always
  type: list
  elements: str
  sample:
    - "group_vars/city_kazan.yml: citypbx_city_kazan.trunks[0].port: 70000 is out of range; use
      a whole number from 1 to 65535"
warnings:
  description: Findings that do not fail validation (e.g. C(vault_*) values in clear text).
  returned: when there are any
  type: list
  elements: str
summary:
  description: Counts of what the inventory holds.
  returned: always
  type: dict
  sample: {cities: 9, trunks: 18, numbers: 32, salons: 19, extensions: 40, phones: 40}
"""

import traceback
from typing import Any

from ansible.module_utils.basic import AnsibleModule

try:
    from citypbx.controller import VALIDATE_INVENTORY_SPEC, validate_inventory_directory
except ImportError:
    CITYPBX_IMPORT_ERROR: str | None = traceback.format_exc()
    VALIDATE_INVENTORY_SPEC = {
        "path": {"type": "path", "required": True},
        "vault_password_file": {"type": "path", "no_log": False},
        "skip_encrypted": {"type": "bool", "default": True},
    }
else:
    CITYPBX_IMPORT_ERROR = None

INSTALL_HINT = (
    "the citypbx package is not importable: install the citypbx package into the interpreter "
    "running Ansible: pip install -e ."
)

# What the task runs in ansible-playbook (plugins/action/citypbx_validate_inventory.py);
# this module serves `ansible -m` and documents the arguments.
ARGUMENT_SPEC: dict[str, dict[str, Any]] = VALIDATE_INVENTORY_SPEC


def run(path: str, vault_password_file: str | None, skip_encrypted: bool) -> dict[str, Any]:
    """Validate and build the module result (pure: no AnsibleModule, easy to test)."""
    return validate_inventory_directory(
        {"path": path, "vault_password_file": vault_password_file, "skip_encrypted": skip_encrypted}
    )


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if CITYPBX_IMPORT_ERROR is not None:
        module.fail_json(msg=INSTALL_HINT, exception=CITYPBX_IMPORT_ERROR)
    result = run(
        module.params["path"], module.params["vault_password_file"], module.params["skip_encrypted"]
    )
    for warning in result.pop("warnings"):
        module.warn(warning)
    if result.pop("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
