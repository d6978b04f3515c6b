"""Fixtures for the inventory validator tests: an editable copy of the production sample."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from citypbx.inventory import Report, validate

# Property tests: `make test` runs a fixed, reproducible set of examples (a random test that
# can fail on a fresh machine blocks landing); `make test-long` draws many new ones, and what
# it finds is a bug to fix and a case to add to the fixed tests.
_PROPERTY = settings(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", _PROPERTY, derandomize=True, max_examples=150)
settings.register_profile("long", _PROPERTY, derandomize=False, max_examples=10_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = REPO / "inventories" / "production"

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """`a.b[0].c` -> ["a", "b", 0, "c"]."""
    return [int(index) if index else key for key, index in _TOKEN.findall(path)]


class InventoryCopy:
    """A throw-away copy of inventories/production with small YAML edits."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def load(self, file: str) -> Any:
        return yaml.safe_load((self.root / file).read_text(encoding="utf-8"))

    def dump(self, file: str, data: Any) -> None:
        path = self.root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")

    def _edit(self, file: str, path: str) -> tuple[Any, Any, str | int]:
        data = self.load(file)
        *parents, last = parse_path(path)
        node = data
        for part in parents:
            node = node[part]
        return data, node, last

    def set(self, file: str, path: str, value: Any) -> None:
        data, node, last = self._edit(file, path)
        node[last] = value
        self.dump(file, data)

    def delete(self, file: str, path: str) -> None:
        data, node, last = self._edit(file, path)
        del node[last]
        self.dump(file, data)

    def append(self, file: str, path: str, value: Any) -> None:
        data, node, last = self._edit(file, path)
        node[last].append(value)
        self.dump(file, data)

    def get(self, file: str, path: str) -> Any:
        _, node, last = self._edit(file, path)
        return node[last]

    def write(self, file: str, text: str) -> None:
        path = self.root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")

    def remove(self, file: str) -> None:
        (self.root / file).unlink()

    def validate(self, **kwargs: Any) -> Report:
        return validate(self.root, **kwargs)


@pytest.fixture
def inventory(tmp_path: Path) -> InventoryCopy:
    root = tmp_path / "production"
    shutil.copytree(PRODUCTION, root)
    return InventoryCopy(root)


@pytest.fixture(autouse=True)
def _no_vault_password_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
