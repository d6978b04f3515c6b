"""Action: citypbx_validate_host, run inside ansible-playbook (see citypbx.action)."""

from __future__ import annotations

from citypbx.action import controller_action
from citypbx.controller import VALIDATE_HOST_SPEC, validate_host_variables

ActionModule = controller_action(validate_host_variables, VALIDATE_HOST_SPEC)
