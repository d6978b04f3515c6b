"""The production sample as Ansible would resolve it for its PBX host, for tests.

Vault references are replaced by deterministic test secrets (strong enough for resolved
mode, and plainly test values); dates arrive as ISO text, as in module arguments.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = REPO / "inventories" / "production"
HOST = "pbx1.citypbx.example"
_REFERENCE = re.compile(r"\{\{\s*(vault_\w+)\s*\}\}")


def secret_for(name: str) -> str:
    """The value a vault_* name resolves to in these tests (digits for a `_pin`)."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    if name.endswith("_pin"):
        return f"{int(digest[:12], 16) % 900_000 + 100_000}"
    return "t-" + digest[:30]


def _resolve(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value) for value in node]
    if isinstance(node, str) and (match := _REFERENCE.fullmatch(node.strip())):
        return secret_for(match[1])
    return node


@cache
def _production() -> dict[str, Any]:
    variables: dict[str, Any] = {}
    group_vars = PRODUCTION / "group_vars"
    company = [group_vars / "all" / name for name in ("operators.yml", "holidays.yml", "mail.yml")]
    for path in [*sorted(group_vars.glob("city_*.yml")), *company]:
        variables.update(yaml.safe_load(path.read_text("utf-8")))
    hosts = yaml.safe_load((PRODUCTION / "hosts.yml").read_text("utf-8"))
    cities = hosts["all"]["children"]["cities"]["children"]
    groups = ["all", "cities", "pbx", "provisioning"]
    groups += [name for name, spec in cities.items() if HOST in (spec.get("hosts") or {})]
    variables["group_names"] = sorted(groups)
    # As a module receives them: JSON (dates become text).
    plain: dict[str, Any] = json.loads(json.dumps(_resolve(variables), default=str))
    return plain


def production_host_vars() -> dict[str, Any]:
    """A fresh copy of the production host's resolved variables (edit it freely)."""
    return copy.deepcopy(_production())


def role_defaults() -> dict[str, Any]:
    """The asterisk_city role's defaults."""
    data = yaml.safe_load((REPO / "roles/asterisk_city/defaults/main.yml").read_text("utf-8"))
    return dict(data)
