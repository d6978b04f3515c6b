#!/usr/bin/python
"""Ansible module: a host's files, directories and services converged in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_host_files
short_description: Converge a set of files, directories and systemd services in one call
description:
  - >-
    Makes each directory exist with its owner and mode, writes each file whose content,
    owner, group or mode differs (atomically: a private temporary file renamed into place),
    runs C(systemctl daemon-reload) when a file under C(/etc/systemd/) changed, enables and
    starts each service that is not enabled and running, and takes every permission of
    other users from the files below each of O(private_trees).
  - >-
    Returns which files changed and the distinct C(apply) names of the changed files, so
    that the play runs only the reloads those changes need: the files of a role are
    rendered on the controller and shipped in one round trip instead of a task per file.
  - Contents are never returned, except as a diff when the play runs with C(--diff).
version_added: "0.3.0"
options:
  files:
    description:
      - Each with C(path) (absolute), C(content), C(owner), C(group), C(mode) (octal string)
        and C(apply) (a name the caller maps to what makes a change effective).
    type: list
    elements: dict
    default: []
  directories:
    description: Each with C(path), C(owner), C(group) and C(mode); created with parents.
    type: list
    elements: dict
    default: []
  services:
    description: systemd units to keep enabled at boot and running.
    type: list
    elements: str
    default: []
  private_trees:
    description: Directories below which no regular file may keep permissions for others.
    type: list
    elements: path
    default: []
  columns:
    description:
      - Each with C(path) (an SQLite database), C(table) and C(columns) (names); missing
        columns are added as TEXT before the files are written, so that a file naming them
        (a CDR column list) never takes effect on a table without them.
      - A database or table that does not exist yet is left alone.
    type: list
    elements: dict
    default: []
notes:
  - Supports check mode and diff mode.
  - Mark the task C(no_log) when a file holds a secret.
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Ship the rendered base files
  citypbx_host_files:
    files:
      - {path: /etc/asterisk/rtp.conf, content: "...", owner: asterisk, group: asterisk,
         mode: "0640", apply: rtp}
    services: [asterisk.service]
  register: _files
"""

RETURN = r"""
changed_files:
  description: Paths of the files written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
applies:
  description: The distinct C(apply) names of the changed files, in the order given.
  returned: always
  type: list
  elements: str
changed_directories:
  description: Directories created or whose owner or mode was set.
  returned: always
  type: list
  elements: str
started_services:
  description: Services that were not running and were started.
  returned: always
  type: list
  elements: str
enabled_services:
  description: Services that did not start at boot and were enabled.
  returned: always
  type: list
  elements: str
closed_files:
  description: Files below O(private_trees) whose permissions for others were removed.
  returned: always
  type: list
  elements: str
added_columns:
  description: Columns added to existing tables (C(<db>:<table>.<column>)).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.citypbx_host import (
    HostError,
    Outcome,
    PartialError,
    WantedColumns,
    WantedDirectory,
    WantedFile,
    WantedService,
    converge,
    invocation_without_contents,
)


def summary(outcome: Outcome | None) -> dict[str, object]:
    """The result's lists (empty when nothing was changed)."""
    done = outcome or Outcome()
    return {
        "changed": done.changed,
        "changed_files": done.changed_files,
        "applies": done.applies,
        "changed_directories": done.changed_directories,
        "started_services": done.started_services,
        "enabled_services": done.enabled_services,
        "closed_files": done.closed_files,
        "added_columns": done.added_columns,
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "list", "elements": "dict", "default": []},
            "directories": {"type": "list", "elements": "dict", "default": []},
            "services": {"type": "list", "elements": "str", "default": []},
            "private_trees": {"type": "list", "elements": "path", "default": []},
            "columns": {"type": "list", "elements": "dict", "default": []},
        },
        supports_check_mode=True,
    )
    # A file may hold a secret: its content is never echoed back, even at -vvv.
    shown = invocation_without_contents(module.params)
    params = module.params
    try:
        files = [WantedFile.from_argument(f) for f in params["files"]]
        directories = [WantedDirectory.from_argument(d) for d in params["directories"]]
        columns = [WantedColumns.from_argument(c) for c in params["columns"]]
    except HostError as error:
        module.fail_json(invocation=shown, msg=str(error))
    try:
        outcome = converge(
            files,
            directories=directories,
            services=[WantedService(name) for name in params["services"]],
            private_trees=params["private_trees"],
            columns=columns,
            check=module.check_mode,
            diff=module._diff,
        )
    except PartialError as error:
        # What was changed before the failure, so that the play still applies it.
        module.fail_json(invocation=shown, msg=str(error), **summary(error.outcome))
    except HostError as error:
        module.fail_json(invocation=shown, msg=str(error), **summary(None))
    result = summary(outcome)
    if module._diff and outcome.diffs:
        result["diff"] = [
            {"before_header": path, "after_header": path, "before": before, "after": after}
            for path, before, after in outcome.diffs
        ]
    module.exit_json(invocation=shown, **result)


if __name__ == "__main__":
    main()
