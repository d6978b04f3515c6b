#!/usr/bin/python
"""Ansible module: validate what Ansible resolved for one PBX host (any inventory source)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_validate_host
short_description: Validate one PBX host's resolved city data with the citypbx model
description:
  - >-
    Checks the cities a host serves (its C(city_<slug>) groups), the operators and the
    holidays, as Ansible resolved them for the host: the same model as C(citypbx validate DIR),
    in resolved mode (secrets are values, checked for strength, never echoed).
  - >-
    Works with any inventory source (a directory, AWX, a dynamic inventory). Reports every
    error at once as C(host <name>: <variable>.<key path>: <what is wrong>; <how to fix it>).
  - Read-only; runs on the controller.
version_added: "0.2.0"
options:
  host:
    description: The host (C(inventory_hostname)).
    type: str
    required: true
  group_names:
    description: The host's groups.
    type: list
    elements: str
    required: true
  cities:
    description: C(citypbx_city_<slug>) variables by slug, as resolved.
    type: dict
    required: true
  operators:
    description: C(citypbx_operators), or null when undefined.
    type: raw
  holidays:
    description: C(citypbx_holidays), or null when undefined.
    type: raw
  mail_relay:
    description: C(citypbx_mail_relay), or null when undefined (then no salon mailbox may e-mail).
    type: raw
requirements:
  - citypbx (installed into the interpreter running Ansible)
notes:
  - Supports check mode; the result is the same in both modes.
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Validate the resolved data of every PBX host
  citypbx_validate_host:
    host: "{{ inventory_hostname }}"
    group_names: "{{ group_names }}"
    cities: "{{ _cities }}"
    operators: "{{ citypbx_operators | default(omit) }}"
    holidays: "{{ citypbx_holidays | default(omit) }}"
    mail_relay: "{{ citypbx_mail_relay | default(omit) }}"
  delegate_to: localhost
"""

RETURN = r"""
errors:
  description: Every error, one line each, sorted.
  returned: always
  type: list
  elements: str
served:
  description: Slugs of the cities the host serves.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from citypbx.controller import VALIDATE_HOST_SPEC, validate_host_variables
except ImportError as error:  # pragma: no cover - depends on the controller's interpreter
    IMPORT_ERROR: ImportError | None = error
    VALIDATE_HOST_SPEC = {}
else:
    IMPORT_ERROR = None


# In a playbook the action plugin of the same name (plugins/action/) does the work
# in-process; this module serves `ansible -m` and documents the arguments.
def main() -> None:
    if IMPORT_ERROR is not None:
        # Without the package there is no spec to check against: say what is missing.
        bare = AnsibleModule(argument_spec={}, bypass_checks=True, no_log=True)
        bare.fail_json(msg=missing_required_lib("citypbx"), exception=str(IMPORT_ERROR))
    module = AnsibleModule(
        argument_spec=VALIDATE_HOST_SPEC,
        supports_check_mode=True,
        # The arguments hold secrets: never log the invocation. They are not marked no_log
        # one by one because Ansible would then mask every substring of their values
        # ("kazan", "pjsip") in the result; the tasks set no_log and report errors apart.
        no_log=True,
    )
    result = validate_host_variables(module.params)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
