#!/usr/bin/python
"""Ansible module: what a host runs, in one round trip (OS, packages, units, files)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_host_state
short_description: Read a host's OS release, package versions, unit states and file states at once
description:
  - >-
    One call returns what a role's fast path needs to decide whether anything must be done:
    the OS release (C(/etc/os-release)), the installed version of each package asked for,
    whether each systemd unit is enabled and active, and which of the given files differ
    from their wanted content, owner, group or mode.
  - Read-only; never reports a change. Replaces fact gathering, C(apt-cache) and per-file
    checks on an idempotent re-run.
version_added: "0.3.0"
options:
  packages:
    description: Debian packages whose installed version to read.
    type: list
    elements: str
    default: []
  units:
    description: systemd units whose enabled and active states to read.
    type: list
    elements: str
    default: []
  files:
    description:
      - Wanted files, each with C(path), C(content), C(owner), C(group) and C(mode), as for
        M(citypbx_host_files). Only whether each one differs is returned, never a content.
    type: list
    elements: dict
    default: []
notes:
  - Supports check mode.
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Read what the host runs
  citypbx_host_state:
    packages: [asterisk]
    units: [asterisk.service]
  register: _state
"""

RETURN = r"""
os:
  description: The keys of /etc/os-release (C(ID), C(VERSION_ID), C(PRETTY_NAME), ...).
  returned: always
  type: dict
packages:
  description: Package -> installed version; C("") when it is not installed.
  returned: always
  type: dict
units:
  description: Unit -> C(enabled) (the word of systemctl is-enabled) and C(active) (of is-active).
  returned: always
  type: dict
files_differ:
  description: The paths of O(files) whose content, owner, group or mode differ (or are missing).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.citypbx_host import (
    HostError,
    WantedFile,
    files_match,
    invocation_without_contents,
    os_release,
    package_versions,
    unit_states,
    wanted_state,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
            "files": {"type": "list", "elements": "dict", "default": []},
        },
        supports_check_mode=True,
    )
    # A file may hold a secret: its content is never echoed back, even at -vvv.
    shown = invocation_without_contents(module.params)
    try:
        parsed = [WantedFile.from_argument(f) for f in module.params["files"]]
        wanted = {f.path: wanted_state(f) for f in parsed}
    except HostError as error:
        module.fail_json(invocation=shown, msg=f"files: {error}")
    matches = files_match(wanted)
    module.exit_json(
        invocation=shown,
        changed=False,
        os=os_release(),
        packages=package_versions(module.params["packages"]),
        units=unit_states(module.params["units"]),
        files_differ=sorted(path for path, same in matches.items() if not same),
    )


if __name__ == "__main__":
    main()
