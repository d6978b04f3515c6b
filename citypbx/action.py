"""An Ansible action plugin that runs one of citypbx.controller's functions in-process.

plugins/action/<name>.py is `ActionModule = controller_action(function, SPEC)`. The task's
arguments are checked against the same spec the module of that name documents, made plain
Python data (Ansible's tagged strings, lists and dicts become str, list, dict, as a module
would receive them through JSON), and handed to the function; its dict is the result.
Nothing connects to the host the task names: the work is the controller's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

Work = Callable[[Mapping[str, Any]], dict[str, Any]]


def _plain(value: object) -> object:
    """What a module would receive: JSON types only, no Ansible tags."""
    return json.loads(json.dumps(value))


def controller_action(work: Work, spec: dict[str, dict[str, Any]]) -> type[ActionBase]:
    class ActionModule(ActionBase):  # type: ignore[misc]  # Ansible ships no types
        TRANSFERS_FILES = False
        _supports_check_mode = True  # every controller task only reads
        _requires_connection = False

        def run(
            self, tmp: object = None, task_vars: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            result: dict[str, Any] = super().run(tmp, task_vars)
            args = _plain(dict(self._task.args))
            checked = ArgumentSpecValidator(spec).validate(args)
            if checked.error_messages:
                # The messages name arguments and types, never their values.
                result.update(failed=True, msg="; ".join(checked.error_messages))
                return result
            result.update(work(checked.validated_parameters))
            return result

    return ActionModule
