#!/usr/bin/python
"""Ansible module: what the live Asterisk runs, parsed from its console into data."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_asterisk_facts
short_description: Read the live Asterisk's version, transports, modules, contacts and registrations
description:
  - >-
    Asks the running Asterisk (C(asterisk -rx)) for its version, PJSIP transports, loaded
    modules, contacts and outbound registrations, and returns them as data parsed by
    C(citypbx.asterisk.cli) (shipped along as module_utils), so that checks compare values
    instead of searching console text.
  - Read-only; never reports a change. An Asterisk that does not answer gives C(answering=false)
    and empty data, not a failure, so a check can report it.
version_added: "0.2.0"
options:
  config:
    description: asterisk.conf of the instance to ask (C(asterisk -C)); the live one by default.
    type: path
  gather:
    description:
      - What to ask for; the others come back empty. The version is always asked (it tells
        whether Asterisk answers).
    type: list
    elements: str
    choices: [version, transports, modules, contacts, registrations, devstates]
    default: [version, transports, modules, contacts, registrations, devstates]
  wait_booted:
    description:
      - Seconds to wait first until Asterisk answers and has fully booted
        (C(core waitfullybooted)); C(0) asks at once.
    type: int
    default: 0
notes:
  - Supports check mode.
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Read what Asterisk runs
  citypbx_asterisk_facts:
  register: _asterisk
"""

RETURN = r"""
answering:
  description: Asterisk answered on its console.
  returned: always
  type: bool
version:
  description: The running version, e.g. C(22.10.1+dfsg+~cs6.17.60671434-1); "" if no answer.
  returned: always
  type: str
transports:
  description: PJSIP transports, each with C(name), C(protocol) and C(bind) (address:port).
  returned: always
  type: list
  elements: dict
modules:
  description: Module file name -> status (Running, Not Running, Declined).
  returned: always
  type: dict
contacts:
  description: AOR (endpoint) name -> contact status (Avail, NonQual, Unavail, ...).
  returned: always
  type: dict
registrations:
  description: Outbound registration name -> state (Registered, Rejected, ...).
  returned: always
  type: dict
devstates:
  description:
    - Custom device state -> state (C(NOT_INUSE), C(INUSE), ...), e.g. a salon's night switch
      C(Custom:citypbx-night-<salon>), INUSE while staff have closed it.
  returned: always
  type: dict
"""

import dataclasses
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.citypbx_asterisk_cli import (
    parse_contacts,
    parse_devstates,
    parse_modules,
    parse_registrations,
    parse_transports,
    parse_version,
)

COMMANDS = {
    "version": "core show version",
    "transports": "pjsip show transports",
    "modules": "module show",
    "contacts": "pjsip show contacts",
    "registrations": "pjsip show registrations",
    "devstates": "devstate list",
}


def ask(command: str, config: str | None) -> str | None:
    argv = ["asterisk", *(["-C", config] if config else []), "-rx", command]
    try:
        # Fixed words and a path from the task; no shell.
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def wait_booted(config: str | None, seconds: int) -> None:
    """Until Asterisk answers `core waitfullybooted` or SECONDS have passed."""
    deadline = time.monotonic() + seconds
    while ask("core waitfullybooted", config) is None and time.monotonic() < deadline:
        time.sleep(1)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "config": {"type": "path"},
            "gather": {
                "type": "list",
                "elements": "str",
                "choices": list(COMMANDS),
                "default": list(COMMANDS),
            },
            "wait_booted": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    config = module.params["config"]
    if module.params["wait_booted"] > 0:
        wait_booted(config, module.params["wait_booted"])
    wanted = {"version", *module.params["gather"]}
    answers = {
        key: ask(command, config) if key in wanted else None for key, command in COMMANDS.items()
    }
    version = parse_version(answers["version"] or "")
    module.exit_json(
        changed=False,
        answering=bool(version),
        version=version,
        transports=[dataclasses.asdict(t) for t in parse_transports(answers["transports"] or "")],
        modules=parse_modules(answers["modules"] or ""),
        contacts=parse_contacts(answers["contacts"] or ""),
        registrations=parse_registrations(answers["registrations"] or ""),
        devstates=parse_devstates(answers["devstates"] or ""),
    )


if __name__ == "__main__":
    main()
