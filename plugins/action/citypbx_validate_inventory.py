"""Action: citypbx_validate_inventory, run inside ansible-playbook (see citypbx.action)."""

from __future__ import annotations

from citypbx.action import controller_action
from citypbx.controller import VALIDATE_INVENTORY_SPEC, validate_inventory_directory

ActionModule = controller_action(validate_inventory_directory, VALIDATE_INVENTORY_SPEC)
