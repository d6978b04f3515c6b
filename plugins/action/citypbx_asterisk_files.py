"""Action: citypbx_asterisk_files, run inside ansible-playbook (see citypbx.action)."""

from __future__ import annotations

from citypbx.action import controller_action
from citypbx.controller import RENDER_ASTERISK_SPEC, render_asterisk_files

ActionModule = controller_action(render_asterisk_files, RENDER_ASTERISK_SPEC)
