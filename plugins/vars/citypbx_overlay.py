"""Vars plugin: an inventory as an overlay of another (citypbx.inventory.overlay).

For an inventory directory holding group_vars/all/overlay.yml, supplies citypbx_city_<slug>
to each group city_<slug> it names, and citypbx_operators / citypbx_holidays to group `all`,
from the base inventory's files with the overrides applied. Other inventories get nothing.
Enabled in ansible.cfg (vars_plugins_enabled); the directory validator reads the same file
through the same code.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: citypbx_overlay
short_description: Take cities from a base inventory and apply an overlay's overrides
description:
  - Reads C(group_vars/all/overlay.yml) of each inventory directory and supplies the city
    and company variables it names from the base inventory, overrides applied.
  - A broken overlay is an error naming the file, the key and the fix.
version_added: "0.2.0"
options:
  stage:
    ini:
      - key: stage
        section: vars_citypbx_overlay
    env:
      - name: ANSIBLE_VARS_CITYPBX_OVERLAY_STAGE
extends_documentation_fragment:
  - vars_plugin_staging
"""

from pathlib import Path
from typing import Any

from ansible.errors import AnsibleError
from ansible.inventory.group import Group
from ansible.plugins.vars import BaseVarsPlugin
from ansible.template import trust_as_template

try:
    from citypbx.inventory.overlay import OVERLAY_FILE, overlaid_variables, read_overlay
    from citypbx.inventory.yamlio import VaultValue
except ImportError as error:  # pragma: no cover - depends on the controller's interpreter
    OVERLAY_FILE = "group_vars/all/overlay.yml"
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None


class VarsModule(BaseVarsPlugin):
    REQUIRES_ENABLED = True

    def get_vars(
        self,
        loader: Any,
        path: str,
        entities: Any,
        cache: bool = True,  # Ansible's signature
    ) -> dict[str, Any]:
        super().get_vars(loader, path, entities)
        root = Path(path)
        if not (root / OVERLAY_FILE).is_file():
            return {}
        if IMPORT_ERROR is not None:
            raise AnsibleError(
                f"{root / OVERLAY_FILE} needs the citypbx package in the Python running Ansible "
                f"({IMPORT_ERROR}); pip install -e ."
            )
        supplied = _supplied(root)
        entities = entities if isinstance(entities, list) else [entities]
        groups = {entity.name for entity in entities if isinstance(entity, Group)}
        return {
            var.name: _trusted(var.value, var.base_file) for var in supplied if var.group in groups
        }


# Ansible asks a vars plugin for every task of every host: the overlay is read once per run
# (one ansible-playbook process), as host_group_vars reads each group_vars file once.
_SUPPLIED: dict[Path, list[Any]] = {}


def _supplied(root: Path) -> list[Any]:
    if root not in _SUPPLIED:
        overlay, issues = read_overlay(root)
        supplied = []
        if overlay is not None:
            supplied, more = overlaid_variables(overlay)
            issues += more
        if issues:
            raise AnsibleError(
                f"{root}: the overlay is broken:\n" + "\n".join(str(issue) for issue in issues)
            )
        _SUPPLIED[root] = supplied
    return _SUPPLIED[root]


def _trusted(value: object, source: Path) -> object:
    """The base inventory's own text is trusted as Ansible trusts its group_vars files, so that
    `{{ vault_* }}` references are templated like any inventory variable."""
    if isinstance(value, dict):
        return {key: _trusted(item, source) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item, source) for item in value]
    if isinstance(value, VaultValue):
        raise AnsibleError(
            f"{source}: an inline !vault value cannot be taken through an overlay; "
            "use a {{ vault_* }} reference and define it in the vault"
        )
    if isinstance(value, str):
        return trust_as_template(value)
    return value
