"""Molecule writes its own ansible.cfg: each scenario must repeat the repository's plugin
paths, or a module, an action or a module_utils file silently goes missing there."""

from __future__ import annotations

import configparser

import pytest
import yaml
from module_runner import REPO

PLUGIN_KEYS = ("library", "action_plugins", "module_utils", "filter_plugins", "roles_path")
SCENARIOS = sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))


def repository_settings() -> dict[str, str]:
    config = configparser.ConfigParser()
    config.read(REPO / "ansible.cfg")
    return {key: config["defaults"][key] for key in PLUGIN_KEYS}


def test_every_plugin_directory_exists() -> None:
    for key, path in repository_settings().items():
        assert (REPO / path).is_dir(), f"ansible.cfg {key} = {path} is not a directory"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_scenario_repeats_the_plugin_paths(scenario: str) -> None:
    molecule = yaml.safe_load((REPO / "molecule" / scenario / "molecule.yml").read_text())
    defaults = molecule["ansible"]["cfg"]["defaults"]
    for key, path in repository_settings().items():
        assert defaults.get(key) == f"${{MOLECULE_PROJECT_DIRECTORY}}/{path}", (
            f"molecule/{scenario}/molecule.yml: ansible.cfg defaults.{key} must be "
            f"${{MOLECULE_PROJECT_DIRECTORY}}/{path}, as in the repository's ansible.cfg"
        )
