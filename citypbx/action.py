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
from datetime import date
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

Work = Callable[[Mapping[str, Any]], dict[str, Any]]


def _json_default(value: object) -> str:
    """Dates (an unquoted YAML holiday) become ISO text, as in a module's JSON arguments."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not plain data")


def _plain(value: object) -> object:
    """What a module would receive: JSON types only, no Ansible tags."""
    return json.loads(json.dumps(value, default=_json_default))


def controller_action(work: Work, spec: dict[str, dict[str, Any]]) -> type[ActionBase]:
    class ActionModule(ActionBase):  # type: ignore[misc]  # Ansible ships no types
        TRANSFERS_FILES = False
        _supports_check_mode = True  # every controller task only reads
        _requires_connection = False

        def run(
            self, tmp: object = None, task_vars: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            result: dict[str, Any] = super().run(tmp, task_vars)
            try:
                args = _plain(dict(self._task.args))
                checked = ArgumentSpecValidator(spec).validate(args)
                if checked.error_messages:
                    # The messages name arguments and types, never their values.
                    result.update(failed=True, msg="; ".join(checked.error_messages))
                    return result
                result.update(work(checked.validated_parameters))
            except Exception as exc:  # noqa: BLE001 - reported, never raised past no_log
                # The task is no_log (its arguments hold secrets): say what failed without
                # the exception's text, which could quote a value.
                result.update(
                    failed=True,
                    msg=f"{self._task.action} failed inside citypbx ({type(exc).__name__}); "
                    "run `citypbx validate` on the inventory, or the task with no_log off "
                    "on a test inventory, to see where",
                )
            return result

    return ActionModule
