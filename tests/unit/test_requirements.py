"""The installed collections satisfy requirements.yml.

Galaxy is not reachable from the lab, so the collections come from the pinned
`ansible` package; this keeps requirements.yml an honest list.
"""

from __future__ import annotations

import json
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
