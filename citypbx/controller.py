"""The work of the tasks that run on the controller, as functions of their arguments.

Each function takes the task's validated arguments and returns the task's result (a dict
with `changed`, and `failed` and `msg` when it fails). Two callers, one behaviour:
- the action plugins (plugins/action/), which run them inside ansible-playbook: no module
  payload, no new interpreter, the package already imported, so a re-run pays nothing for
  validating and rendering but the work itself;
- the modules of the same names (plugins/modules/), which document the arguments and serve
  `ansible -m` and the tests.

The arguments hold resolved secrets: nothing here echoes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .asterisk.release import SHARED
from .inventory import InventoryNotFoundError, validate
from .inventory.resolved import host_variables, served_cities, validate_host
from .plan.build import build_host

Spec = dict[str, dict[str, Any]]
Result = dict[str, Any]

VALIDATE_INVENTORY_SPEC: Spec = {
    "path": {"type": "path", "required": True},
    # A path, not a secret: no_log would only hide it from the output.
    "vault_password_file": {"type": "path", "no_log": False},
    "skip_encrypted": {"type": "bool", "default": True},
}

VALIDATE_HOST_SPEC: Spec = {
    "host": {"type": "str", "required": True},
    "group_names": {"type": "list", "elements": "str", "required": True},
    "cities": {"type": "dict", "required": True},
    "operators": {"type": "raw"},
    "holidays": {"type": "raw"},
    "mail_relay": {"type": "raw"},
}

RENDER_ASTERISK_SPEC: Spec = {
    "host": {"type": "str", "required": True},
    "group_names": {"type": "list", "elements": "str", "required": True},
    "cities": {"type": "dict", "required": True},
    "operators": {"type": "dict", "required": True},
    "holidays": {"type": "list", "elements": "raw", "required": True},
    "mail_relay": {"type": "raw"},
    "settings": {"type": "dict", "required": True},
    "transports": {"type": "list", "elements": "str", "required": True},
    "only_cities": {"type": "list", "elements": "str", "default": []},
}


def validate_inventory_directory(params: Mapping[str, Any]) -> Result:
    """citypbx_validate_inventory: every error of an inventory directory, with file and key."""
    path = params["path"]
    try:
        report = validate(
            path, params.get("vault_password_file"), skip_encrypted=params["skip_encrypted"]
        )
    except InventoryNotFoundError as exc:
        return {
            "changed": False,
            "failed": True,
            "msg": str(exc),
            "errors": [str(exc)],
            "warnings": [],
            "summary": {},
        }
    errors = [str(issue) for issue in report.errors]
    if errors:
        msg = f"{len(errors)} error(s) in the inventory {path}:\n" + "\n".join(errors)
    else:
        msg = f"OK: {report.summary}"
    return {
        "changed": False,
        "failed": bool(errors),
        "msg": msg,
        "errors": errors,
        "warnings": [str(issue) for issue in report.warnings],
        "summary": report.summary.as_dict(),
    }


def validate_host_variables(params: Mapping[str, Any]) -> Result:
    """citypbx_validate_host: every error in what the inventory gives one PBX host."""
    variables = host_variables(
        params["group_names"],
        params["cities"],
        params.get("operators"),
        params.get("holidays"),
        params.get("mail_relay"),
    )
    report = validate_host(params["host"], variables)
    errors = [str(issue) for issue in report.errors]
    served = served_cities(params["group_names"])
    if errors:
        return {
            "changed": False,
            "failed": True,
            "msg": f"{len(errors)} error(s) in what the inventory gives host {params['host']}:\n"
            + "\n".join(errors),
            "errors": errors,
            "served": served,
        }
    return {"changed": False, "errors": [], "served": served}


def render_asterisk_files(params: Mapping[str, Any]) -> Result:
    """citypbx_asterisk_files: the host's city files and what each city must load."""
    host = params["host"]
    variables = host_variables(
        params["group_names"],
        params["cities"],
        params["operators"],
        params["holidays"],
        params.get("mail_relay"),
    )
    settings = params["settings"]
    transport = settings.get("asterisk_city_transport")
    if transport not in params["transports"]:
        return _failed(
            f"host {host}: asterisk_city_transport {transport!r} is not a transport the "
            f"asterisk role created ({', '.join(params['transports']) or 'none'}); "
            "use one of them or add its protocol to asterisk_sip_protocols"
        )
    result = build_host(host, variables, settings)
    errors = [str(issue) for issue in result.report.errors]
    if not result.ok or result.plan is None:
        return _failed(
            f"host {host}: {len(errors)} error(s) in its city data:\n" + "\n".join(errors), errors
        )
    only = set(params["only_cities"])
    unknown = sorted(only - set(result.plan.served))
    if unknown:
        return _failed(
            f"host {host} does not serve {', '.join(unknown)} "
            f"(it serves {', '.join(result.plan.served)})"
        )
    files = [
        {"path": f.path, "content": f.content, "reload": f.reload, "city": f.city}
        for f in result.files
        if not only or f.city in only or f.city == ""
    ]
    expect: list[dict[str, Any]] = [
        {
            "city": city.slug,
            "contexts": list(city.contexts),
            "endpoints": list(city.endpoints),
            "registrations": list(city.registrations),
        }
        for city in result.plan.cities
    ]
    expect.append({"city": SHARED, "contexts": list(result.plan.shared_contexts)})
    return {
        "changed": False,
        "files": files,
        "expect": expect,
        "served": list(result.plan.served),
        "errors": [],
    }


def _failed(msg: str, errors: list[str] | None = None) -> Result:
    return {"changed": False, "failed": True, "msg": msg, "errors": errors or []}
