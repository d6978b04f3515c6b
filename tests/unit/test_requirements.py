"""The installed collections satisfy requirements.yml.

Galaxy is not reachable from the lab, so the collections come from the pinned
`ansible` package; this keeps requirements.yml an honest list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import ansible_collections
import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]


def installed_version(name: str) -> Version | None:
    namespace, collection = name.split(".")
    for root in ansible_collections.__path__:
        manifest = Path(root) / namespace / collection / "MANIFEST.json"
        if manifest.exists():
            return Version(json.loads(manifest.read_text())["collection_info"]["version"])
    return None


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=lambda r: r["name"])
def test_required_collection_is_installed_in_a_matching_version(
    requirement: dict[str, str],
) -> None:
    version = installed_version(requirement["name"])
    assert version is not None, f"{requirement['name']} is not installed"
    assert version in SpecifierSet(requirement["version"].replace(" ", "")), (
        f"{requirement['name']} {version} does not satisfy {requirement['version']}"
    )


# ---- requirements.yml lists exactly the collections the code uses ------------------------------

_FQCN = re.compile(r"^(?P<collection>[a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+$")
_IN_TEXT = re.compile(
    r"(?:(?:lookup|query|q)\(\s*['\"]|\|\s*|\bis\s+(?:not\s+)?)"
    r"(?P<collection>[a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"
)
_CORE = {"ansible.builtin", "ansible.legacy"}
# A Molecule driver is a collection too.
_DRIVERS = {"podman": "containers.podman"}


class _TaggedLoader(yaml.SafeLoader):
    """Safe loading that reads Ansible's tags (!vault, !unsafe) as plain text: the lab's
    generated vault files sit beside the scenarios' inventories."""


_TaggedLoader.add_multi_constructor("!", lambda loader, _tag, node: loader.construct_scalar(node))


def _walk(node: object) -> Iterator[tuple[object, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def used_collections() -> dict[str, set[str]]:
    """Collection -> the files that use it (modules as task keys, lookups, filters, tests,
    Molecule drivers), over playbooks/, roles/ and molecule/."""
    used: dict[str, set[str]] = {}
    files = [
        path
        for folder in ("playbooks", "roles", "molecule")
        for path in (REPO / folder).rglob("*.yml")
        if "templates" not in path.parts
    ]
    for path in files:
        data = yaml.load(path.read_text("utf-8"), Loader=_TaggedLoader)  # noqa: S506 - safe loader
        rel = path.relative_to(REPO).as_posix()
        for key, value in _walk(data):
            found = []
            if isinstance(key, str) and (match := _FQCN.match(key)):
                found.append(match["collection"])
            if isinstance(value, str):
                found += [m["collection"] for m in _IN_TEXT.finditer(value)]
            if key == "driver" and isinstance(value, dict) and value.get("name") in _DRIVERS:
                found.append(_DRIVERS[value["name"]])
            for collection in found:
                if collection not in _CORE:
                    used.setdefault(collection, set()).add(rel)
    return used


def test_requirements_list_exactly_the_collections_in_use() -> None:
    used = used_collections()
    listed = {requirement["name"] for requirement in REQUIREMENTS}
    missing = {name: sorted(files) for name, files in used.items() if name not in listed}
    assert not missing, f"used but not in requirements.yml: {missing}"
    assert listed <= set(used), f"listed but not used: {sorted(listed - set(used))}"


def test_the_scan_finds_what_it_looks_for() -> None:
    """The derivation itself: a module key, a lookup and a filter are each recognised."""
    sample = {
        "tasks": [
            {"community.crypto.openssl_privatekey": {"path": "/x"}},
            {
                "debug": {
                    "msg": "{{ lookup('community.general.random_string')"
                    " | ansible.netcommon.ipaddr }}"
                }
            },
        ]
    }
    found = set()
    for key, value in _walk(sample):
        if isinstance(key, str) and (match := _FQCN.match(key)):
            found.add(match["collection"])
        if isinstance(value, str):
            found |= {m["collection"] for m in _IN_TEXT.finditer(value)}
    assert found == {"community.crypto", "community.general", "ansible.netcommon"}
