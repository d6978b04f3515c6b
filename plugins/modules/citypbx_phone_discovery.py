#!/usr/bin/python
"""Ansible module: SNMP sweep for desk phones, compared with the inventory (thin wrapper)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_phone_discovery
short_description: Find the desk phones of a network over SNMP and compare them with the inventory
description:
  - Sends one SNMPv2c GET per address of O(network), concurrently, asking the MIB-II system
    group (sysDescr, sysObjectID, sysName, sysUpTime) and the Yealink and Grandstream
    identity OIDs, and identifies each answering device (vendor, model, firmware, MAC).
  - Every address is reported as C(identified), C(unidentified) (it answered, but not as a phone
    that can be named; C(reason) says why) or C(silent) (no answer in time).
  - >-
    With O(inventory) and O(city) (or an explicit O(expected) list), compares the phones found
    with the phones expected at the site, by MAC: missing, unknown, wrong model, wrong firmware
    (against the version pinned for the model), duplicate MAC.
  - >-
    Read-only: never reports a change, and runs in check mode too. Fails only on bad input
    (network, settings, inventory, city); findings are returned, not failed on.
  - Runs where the task runs (usually C(delegate_to) a host inside the salon network, or the
    controller for the lab), with an interpreter that has the citypbx package and pysnmp.
version_added: "0.1.0"
options:
  network:
    description:
      - Networks (CIDR) and/or addresses to sweep, e.g. C(127.0.1.0/24).
      - At most O(max_addresses) addresses in total.
    type: list
    elements: str
    required: true
  community:
    description: SNMP community (read-only). A secret; it is never logged or returned.
    type: str
    required: true
  port:
    description: UDP port of the agents.
    type: int
    default: 161
  timeout:
    description: Seconds to wait for an answer, per try.
    type: float
    default: 1.0
  retries:
    description: Retries per address after the first try.
    type: int
    default: 1
  concurrency:
    description: Addresses queried at the same time.
    type: int
    default: 256
  max_addresses:
    description: Refuse to sweep more addresses than this (guards against a typo in O(network)).
    type: int
    default: 4096
  inventory:
    description:
      - Inventory directory whose phones of O(city) are expected on the network.
      - Validated first; vault-encrypted files are skipped (no secret is needed here).
    type: path
  city:
    description: City slug (C(citypbx_city_<slug>)) to compare with. Requires O(inventory).
    type: str
  salon:
    description: Only the phones of this salon of O(city).
    type: str
  expected:
    description: The expected phones, instead of O(inventory) and O(city).
    type: list
    elements: dict
    suboptions:
      mac: {description: MAC address (any usual notation)., type: str, required: true}
      vendor: {description: C(yealink) or C(grandstream)., type: str, required: true}
      model: {description: Model name as on the label (e.g. C(T46U))., type: str, required: true}
      firmware: {description: Pinned firmware version., type: str}
      salon: {description: Salon id, for the report., type: str}
      extension: {description: Extension, for the report., type: str}
  firmware:
    description:
      - "Expected firmware per model, e.g. C({T46U: 108.86.0.20}); overrides the catalog's pins."
      - Applies to phones taken from O(inventory).
    type: dict
requirements:
  - citypbx (C(pip install -e .) from the repository) with pysnmp 7.1
notes:
  - Supports check mode; the result is the same in both modes.
  - SNMPv2c only, as the phones offer (v1/v2c, read-only).
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Find the phones of the Baumana salon
  citypbx_phone_discovery:
    network: 10.43.21.0/24
    community: "{{ vault_snmp_community }}"
    inventory: "{{ inventory_dir }}"
    city: kazan
    salon: kazan-baumana
  delegate_to: "{{ citypbx_salon_probe_host }}"
  register: found

- name: Fail the play when the salon does not hold what the inventory says
  ansible.builtin.assert:
    that: found.comparison.counts.missing == 0 and found.comparison.counts.unknown == 0
    fail_msg: "{{ found.comparison.missing + found.comparison.unknown }}"

- name: Lab sweep against explicit expectations
  citypbx_phone_discovery:
    network: [127.0.1.0/27]
    port: 1161
    community: "{{ lab_snmp_community }}"
    timeout: 0.5
    retries: 0
    expected:
      - {mac: "80:5e:c0:43:21:01", vendor: yealink, model: T46U, firmware: 108.86.0.20}
  delegate_to: localhost
"""

RETURN = r"""
sweep:
  description: What was swept and how; C(counts) has addresses, identified, unidentified, silent.
  returned: always
  type: dict
  sample:
    targets: [127.0.1.0/27]
    port: 161
    timeout: 1.0
    retries: 1
    elapsed_s: 1.21
    counts: {addresses: 30, identified: 4, unidentified: 2, silent: 24}
devices:
  description: The devices that answered (identified and unidentified), sorted by address.
  returned: always
  type: list
  elements: dict
  sample:
    - address: 127.0.1.11
      status: identified
      vendor: yealink
      model: T46U
      firmware: 108.86.0.20
      mac: 805ec0432101
      sys_descr: Yealink SIP-T46U 108.86.0.20
      sys_object_id: 1.3.6.1.4.1.37459.1.46
    - address: 127.0.1.16
      status: unidentified
      reason: "not a known phone: sysObjectID 1.3.6.1.4.1.9.1.1208 is enterprise 9, ..."
silent:
  description: Addresses that did not answer.
  returned: always
  type: list
  elements: str
comparison:
  description: >-
    The comparison with the expected phones: C(counts), C(matched) (MACs) and one list per
    finding kind (C(missing), C(unknown), C(wrong_model), C(wrong_firmware),
    C(duplicate_mac)), each finding with C(mac), C(address), C(expected), C(found) and C(message).
  returned: when O(inventory) or O(expected) is given
  type: dict
"""

import traceback
from typing import Any

from ansible.module_utils.basic import AnsibleModule

try:
    from citypbx.inventory import InventoryNotFoundError, validate
    from citypbx.phones import normalise_mac
    from citypbx.snmp import (
        Community,
        CommunityError,
        ExpectedPhone,
        SiteError,
        compare,
        expected_phones,
    )
    from citypbx.snmp.sweep import SweepInputError, run_sweep
except ImportError:
    CITYPBX_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    CITYPBX_IMPORT_ERROR = None

INSTALL_HINT = (
    "the citypbx package (with pysnmp) is not importable: install it into the interpreter "
    "running this module: pip install -e ."
)
VENDORS = ("yealink", "grandstream")


class InputError(ValueError):
    """Bad module input; the message says what to fix."""


def run(params: dict[str, Any]) -> dict[str, Any]:
    """Sweep, compare and build the module result (pure: no AnsibleModule, easy to test).

    Returns a dict with `changed` (False), `failed`, `msg` and, unless failed, `sweep`,
    `devices`, `silent` and `comparison`.
    """
    try:
        community = Community(params["community"])
        expected, site = _expected(params)
        result = run_sweep(
            params["network"],
            community,
            port=params["port"],
            timeout=params["timeout"],
            retries=params["retries"],
            concurrency=params["concurrency"],
            max_addresses=params["max_addresses"],
        )
    except (CommunityError, SiteError, SweepInputError, InputError) as exc:
        return {"changed": False, "failed": True, "msg": str(exc)}
    document = result.as_dict()
    comparison = compare(result.devices, expected) if expected is not None else None
    counts = result.counts()
    msg = (
        f"{counts['addresses']} addresses: {counts['identified']} identified, "
        f"{counts['unidentified']} unidentified, {counts['silent']} silent"
    )
    if comparison is not None:
        c = comparison.counts()
        msg += (
            f"; {site}: {c['matched']}/{c['expected']} matched, {c['missing']} missing, "
            f"{c['unknown']} unknown, {c['wrong_model']} wrong model, "
            f"{c['wrong_firmware']} wrong firmware"
        )
    return {
        "changed": False,
        "failed": False,
        "msg": msg,
        "sweep": {k: document[k] for k in ("targets", "port", "timeout", "retries", "elapsed_s")}
        | {"counts": counts},
        "devices": document["devices"],
        "silent": document["silent"],
        "comparison": comparison.as_dict() if comparison is not None else None,
    }


def _expected(params: dict[str, Any]) -> tuple[list[ExpectedPhone] | None, str | None]:
    if params.get("expected") is not None:
        return [_expected_entry(i, e) for i, e in enumerate(params["expected"])], "expected"
    if params.get("inventory") is None:
        return None, None
    try:
        report = validate(params["inventory"], skip_encrypted=True)
    except InventoryNotFoundError as exc:
        raise InputError(str(exc)) from None
    if report.company is None:
        errors = "\n".join(str(issue) for issue in report.errors)
        raise InputError(
            f"the inventory {params['inventory']} has {len(report.errors)} error(s); "
            f"fix them first:\n{errors}"
        )
    city, salon = params["city"], params.get("salon")
    pins = {str(k).upper(): str(v) for k, v in (params.get("firmware") or {}).items()}
    site = city if salon is None else f"{city}/{salon}"
    return expected_phones(report.company, city, salon, pins), site


def _expected_entry(index: int, entry: dict[str, Any]) -> ExpectedPhone:
    where = f"expected[{index}]"
    mac = normalise_mac(str(entry["mac"]))
    if len(mac) != 12 or any(c not in "0123456789abcdef" for c in mac):  # noqa: PLR2004
        raise InputError(f"{where}.mac: {entry['mac']!r} is not a MAC address")
    if entry["vendor"] not in VENDORS:
        raise InputError(f"{where}.vendor: {entry['vendor']!r}; use one of {', '.join(VENDORS)}")
    return ExpectedPhone(
        mac=mac,
        vendor=entry["vendor"],
        model=entry["model"],
        firmware=entry.get("firmware"),
        salon=entry.get("salon"),
        extension=entry.get("extension"),
    )


EXPECTED_SPEC: dict[str, dict[str, Any]] = {
    "mac": {"type": "str", "required": True},
    "vendor": {"type": "str", "required": True},
    "model": {"type": "str", "required": True},
    "firmware": {"type": "str"},
    "salon": {"type": "str"},
    "extension": {"type": "str"},
}
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "network": {"type": "list", "elements": "str", "required": True},
    "community": {"type": "str", "required": True, "no_log": True},
    "port": {"type": "int", "default": 161},
    "timeout": {"type": "float", "default": 1.0},
    "retries": {"type": "int", "default": 1},
    "concurrency": {"type": "int", "default": 256},
    "max_addresses": {"type": "int", "default": 4096},
    "inventory": {"type": "path"},
    "city": {"type": "str"},
    "salon": {"type": "str"},
    "expected": {"type": "list", "elements": "dict", "options": EXPECTED_SPEC},
    "firmware": {"type": "dict"},
}


def main() -> None:
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        required_together=[("inventory", "city")],
        required_by={"salon": "city"},
        mutually_exclusive=[("inventory", "expected")],
    )
    if CITYPBX_IMPORT_ERROR is not None:
        module.fail_json(msg=INSTALL_HINT, exception=CITYPBX_IMPORT_ERROR)
    result = run(module.params)
    if result.pop("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
