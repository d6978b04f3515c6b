#!/usr/bin/python
"""Ansible module: validate a host's resolved city data and render its Asterisk files."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_asterisk_files
short_description: Render every Asterisk city file of one PBX host from its validated model
description:
  - >-
    Validates the host's resolved variables (cities, operators, holidays; secrets as values,
    checked for strength) with the citypbx model, builds the host's typed plan and renders
    every city include file and the shared dialplan from templates/asterisk/.
  - >-
    Runs on the controller (C(delegate_to: localhost)) and contacts no host. The files go
    to the host through M(citypbx_asterisk_release).
  - >-
    Every problem is reported at once as
    C(host <name>: <variable>.<key path>: <what>; <fix>).
version_added: "0.2.0"
options:
  host:
    description: The PBX host being rendered (C(inventory_hostname)).
    type: str
    required: true
  group_names:
    description: The host's groups; its cities are its C(city_<slug>) groups.
    type: list
    elements: str
    required: true
  cities:
    description: C(citypbx_city_<slug>) variables by slug, as Ansible resolved them.
    type: dict
    required: true
  operators:
    description: C(citypbx_operators).
    type: dict
    required: true
  holidays:
    description: C(citypbx_holidays).
    type: list
    elements: raw
    required: true
  mail_relay:
    description: C(citypbx_mail_relay), or null when undefined (then no salon mailbox may e-mail).
    type: raw
  settings:
    description: The C(asterisk_city_*) role variables.
    type: dict
    required: true
  transports:
    description: Transports the asterisk role created; the city transport must be one of them.
    type: list
    elements: str
    required: true
  only_cities:
    description: Render only these cities (and the shared files); empty for all.
    type: list
    elements: str
    default: []
requirements:
  - citypbx (installed into the interpreter running Ansible)
notes:
  - Supports check mode (it only reads); never reports a change.
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Render the city files of this host
  citypbx_asterisk_files:
    host: "{{ inventory_hostname }}"
    group_names: "{{ group_names }}"
    cities: "{{ _cities }}"
    operators: "{{ citypbx_operators }}"
    holidays: "{{ citypbx_holidays }}"
    mail_relay: "{{ citypbx_mail_relay | default(omit) }}"
    settings: "{{ _settings }}"
    transports: "{{ asterisk_transports }}"
  delegate_to: localhost
  no_log: true
"""

RETURN = r"""
files:
  description: Rendered files (path below /etc/asterisk, content, reload, city). Holds secrets.
  returned: success
  type: list
  elements: dict
expect:
  description: Per city, the contexts, endpoints and registrations that must load.
  returned: success
  type: list
  elements: dict
served:
  description: Slugs of the cities the host serves.
  returned: success
  type: list
  elements: str
errors:
  description: Every validation error, one line each.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from citypbx.controller import RENDER_ASTERISK_SPEC, render_asterisk_files
except ImportError as error:  # pragma: no cover - depends on the controller's interpreter
    IMPORT_ERROR: ImportError | None = error
    RENDER_ASTERISK_SPEC = {}
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
        argument_spec=RENDER_ASTERISK_SPEC,
        supports_check_mode=True,
        # The arguments hold secrets: never log the invocation. They are not marked no_log
        # one by one because Ansible would then mask every substring of their values
        # ("kazan", "pjsip") in the result; the tasks set no_log and report errors apart.
        no_log=True,
    )
    result = render_asterisk_files(module.params)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
