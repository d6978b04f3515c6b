#!/usr/bin/python
"""Ansible module: render every desk phone's files into a directory (thin wrapper)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_phone_files
short_description: Render the provisioning files of the desk phones into a directory
description:
  - Renders the configuration files of every desk phone of the cities given (Yealink
    C(<mac>.boot) and C(<mac>.cfg), Grandstream C(cfg<mac>.xml)) with the citypbx package and
    its templates under C(templates/phones/), and brings the directory O(dest) in line with them.
  - Writes only files whose content changed, each through a temporary file and a rename (a phone
    never reads a half-written file), with mode C(0640). Removes phone files of phones that are
    no longer in the inventory. Other files in O(dest) are never touched.
  - Returns the MACs whose files changed, so that only those phones are told to resync.
  - >-
    Runs on the controller (C(delegate_to: localhost)) with the interpreter that runs Ansible,
    which must have the citypbx package installed.
version_added: "0.1.0"
options:
  cities:
    description:
      - >-
        The cities, as the inventory defines them, by slug
        (C({kazan: "{{ citypbx_city_kazan }}"})); Ansible has resolved their secrets.
      - Give every city of the company even when rendering only some (O(only_cities)), so that
        a phone that moved to another city is not taken for a removed one.
      - >-
        Each city is validated with the inventory's model (resolved mode: secrets are values,
        checked for strength and never shown) before anything is rendered; every problem of
        every city is reported at once, naming the city variable and key
        (C(city kazan: citypbx_city_kazan.salons[0].phones[0].mac: ...)).
    type: dict
    required: true
  only_cities:
    description:
      - Render only these cities (slugs); files of the other cities are left as they are.
      - Default is every city of O(cities).
    type: list
    elements: str
  settings:
    description:
      - Provisioning settings (see C(citypbx/provisioning/settings.py)).
      - Keys C(sip_server) and C(ntp_server) (required), C(sip_port) (5060),
        C(sip_transport) (udp, tcp, tls), C(vlan_id) (0 = untagged), C(language) (ru),
        C(provisioning_url) (required, the URL phones fetch their files from),
        C(firmware_url) (default C(<provisioning_url>firmware/)), C(cities) (per-city
        overrides of C(sip_*), C(ntp_server), C(vlan_id)).
    type: dict
    required: true
  provisioning_secret:
    description:
      - Company secret the per-device HTTP passwords are derived from
        (C(citypbx.httpauth.device_password)); the provisioning server (role
        C(provisioning_server)) derives the same ones from C(citypbx_provisioning_secret).
      - At least 16 characters; keep it in the vault.
    type: str
    required: true
  admin_secret:
    description:
      - Company secret the per-device admin passwords of the phones are derived from.
      - At least 16 characters, different from O(provisioning_secret); keep it in the vault.
    type: str
    required: true
  dest:
    description: Directory the phone files go to (created with mode C(0750) if missing).
    type: path
    required: true
requirements:
  - citypbx (C(pip install -e .) from the repository, into the interpreter running Ansible)
notes:
  - Supports check mode (reports what would change, writes nothing) and diff mode (one diff per
    file, with passwords replaced by C(********)).
  - The extension secrets, mailbox PINs and trunk passwords found in O(cities) are hidden
    from the module's output like
    C(no_log) values.
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Render the phone files of every city
  vars:
    _citypbx_city_vars: "{{ query('ansible.builtin.varnames', '^citypbx_city_') }}"
  citypbx_phone_files:
    cities: "{{ dict(_citypbx_city_vars | map('regex_replace', '^citypbx_city_', '')
                     | zip(query('ansible.builtin.vars', *_citypbx_city_vars))) }}"
    settings:
      sip_server: pbx1.citypbx.example
      ntp_server: ntp.citypbx.example
      vlan_id: 20
      provisioning_url: "https://{{ provisioning_server_address }}/"
    provisioning_secret: "{{ citypbx_provisioning_secret }}"
    admin_secret: "{{ vault_phone_admin_secret }}"
    dest: "{{ playbook_dir }}/../.build/phones"
  delegate_to: localhost
  run_once: true
  register: citypbx_phone_files_result

- name: Render only Kazan (the other cities' files stay as they are)
  citypbx_phone_files:
    cities: {kazan: "{{ citypbx_city_kazan }}", ufa: "{{ citypbx_city_ufa }}"}
    only_cities: [kazan]
    settings: "{{ citypbx_phone_settings }}"
    provisioning_secret: "{{ citypbx_provisioning_secret }}"
    admin_secret: "{{ vault_phone_admin_secret }}"
    dest: "{{ playbook_dir }}/../.build/phones"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
changed_macs:
  description: >-
    Phones whose files were created or changed (lower-case hex); tell these to resync
    (C(pjsip send notify citypbx-resync-<vendor> endpoint <endpoint>)).
  returned: always
  type: list
  elements: str
  sample: ["805ec0432101", "c074ad432102"]
changed_phones:
  description: The phones of RV(changed_macs) with their city, salon, extension and model.
  returned: always
  type: list
  elements: dict
  sample: [{mac: 805ec0432101, city: kazan, salon: kazan-baumana, extension: "2101",
            vendor: yealink, model: T46U}]
removed_macs:
  description: Phones whose files were removed (no longer in the inventory).
  returned: always
  type: list
  elements: str
created:
  description: File names created.
  returned: always
  type: list
  elements: str
updated:
  description: File names whose content changed.
  returned: always
  type: list
  elements: str
removed:
  description: File names removed.
  returned: always
  type: list
  elements: str
phones:
  description: Number of phones rendered.
  returned: always
  type: int
  sample: 40
files:
  description: Number of files rendered.
  returned: always
  type: int
  sample: 66
"""

import traceback
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule

try:
    from citypbx.provisioning import (
        ProvisioningError,
        build_phones,
        default_renderer,
        validate_cities,
    )
    from citypbx.provisioning.sync import sync_directory
except ImportError:
    CITYPBX_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    CITYPBX_IMPORT_ERROR = None

INSTALL_HINT = (
    "the citypbx package is not importable: install the citypbx package into the interpreter "
    "running Ansible: pip install -e ."
)


def city_secrets(cities: dict[str, Any]) -> set[str]:
    """The secrets in the city data, extension secrets, mailbox PINs and trunk passwords (to
    hide them from the module's output, its arguments included).

    Runs before the data is validated: skips what is not in the inventory's shape.
    """
    found = set()
    for city in cities.values():
        trunks = city.get("trunks") if isinstance(city, dict) else None
        for trunk in trunks if isinstance(trunks, list) else []:
            if isinstance(trunk, dict) and trunk.get("password"):
                found.add(str(trunk["password"]))
        salons = city.get("salons") if isinstance(city, dict) else None
        for salon in salons if isinstance(salons, list) else []:
            extensions = salon.get("extensions") if isinstance(salon, dict) else None
            for ext in extensions if isinstance(extensions, list) else []:
                if isinstance(ext, dict) and ext.get("secret"):
                    found.add(str(ext["secret"]))
            mailbox = salon.get("voicemail") if isinstance(salon, dict) else None
            if isinstance(mailbox, dict) and mailbox.get("pin"):
                found.add(str(mailbox["pin"]))
    return found


def run(params: dict[str, Any], check_mode: bool = False, diff: bool = False) -> dict[str, Any]:
    """Render and sync (pure: no AnsibleModule, easy to test). Returns the module result."""
    cities: dict[str, Any] = params["cities"]
    only = params.get("only_cities")
    secrets = {
        "provisioning_secret": params["provisioning_secret"],
        "admin_secret": params["admin_secret"],
    }
    try:
        unknown = sorted(set(only or ()) - set(cities))
        if unknown:
            raise ProvisioningError(
                f"only_cities: no city {', '.join(unknown)} in cities; "
                f"use one of {', '.join(sorted(cities))}"
            )
        typed = validate_cities(cities)  # every problem of every city, or typed cities
        phones = build_phones(sorted(typed.items()), params["settings"], secrets)
    except ProvisioningError as exc:
        return {"failed": True, "changed": False, "msg": str(exc)}
    renderer = default_renderer()
    selected = [p for p in phones if only is None or p.city in only]
    files = renderer.render(selected)
    keep = {
        path
        for p in phones
        if only is not None and p.city not in only
        for path in renderer.paths(p)
    }
    result = sync_directory(
        Path(params["dest"]),
        files,
        keep=keep,
        cities=None if only is None else set(only),
        check=check_mode,
        diff=diff,
    )
    changed = set(result.changed_macs)
    output: dict[str, Any] = {
        "changed": result.changed,
        "changed_macs": result.changed_macs,
        "changed_phones": [
            {
                "mac": p.mac,
                "city": p.city,
                "salon": p.salon,
                "extension": p.extension,
                "vendor": p.vendor,
                "model": p.model,
            }
            for p in selected
            if p.mac in changed
        ],
        "removed_macs": result.removed_macs,
        "created": result.created,
        "updated": result.updated,
        "removed": result.removed,
        "phones": len(selected),
        "files": len(files),
        "msg": (
            f"{len(selected)} phone(s), {len(files)} file(s): {len(result.created)} created, "
            f"{len(result.updated)} updated, {len(result.removed)} removed"
        ),
    }
    if diff:
        output["diff"] = result.diff
    return output


ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    # City data holds the extension secrets; main() hides those values, not the whole option.
    "cities": {"type": "dict", "required": True, "no_log": False},
    "only_cities": {"type": "list", "elements": "str"},
    "settings": {"type": "dict", "required": True},
    "provisioning_secret": {"type": "str", "required": True, "no_log": True},
    "admin_secret": {"type": "str", "required": True, "no_log": True},
    "dest": {"type": "path", "required": True},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if CITYPBX_IMPORT_ERROR is not None:
        module.fail_json(msg=INSTALL_HINT, exception=CITYPBX_IMPORT_ERROR)
    module.no_log_values.update(city_secrets(module.params["cities"]))
    result = run(module.params, module.check_mode, module._diff)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
