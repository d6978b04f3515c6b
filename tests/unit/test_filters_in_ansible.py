"""The citypbx filters as a playbook calls them: Ansible 2.19 hands a filter lazy containers
(values templated on access), not the plain data a unit test passes. Run through
ansible-playbook on the production sample, with the unit tests' secrets in its vault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from module_runner import run_playbook
from resolved import HOST, PRODUCTION, secret_for

from citypbx.inventory import load_inventory, vault_refs


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("filters") / "production"
    shutil.copytree(PRODUCTION, root)
    names = vault_refs(load_inventory(root))
    vault = root / "group_vars" / "all" / "vault.yml"
    vault.write_text(yaml.safe_dump({name: secret_for(name) for name in names}))
    return root


def run_play(inventory: Path, tmp_path: Path, tasks: list[dict[str, object]]) -> str:
    play = {
        "hosts": HOST,
        "connection": "local",
        "gather_facts": False,
        "vars": {
            "_names": "{{ query('ansible.builtin.varnames', '^citypbx_city_') }}",
            "_cities": "{{ dict(_names | map('regex_replace', '^citypbx_city_', '')"
            " | zip(query('ansible.builtin.vars', *_names))) }}",
        },
        "tasks": tasks,
    }
    return run_playbook([play], tmp_path, str(inventory))


def test_phone_credentials_of_the_resolved_cities(inventory: Path, tmp_path: Path) -> None:
    output = run_play(
        inventory,
        tmp_path,
        [
            {
                "ansible.builtin.assert": {
                    "that": [
                        "_credentials | length == 40",
                        "_credentials | map(attribute='htpasswd') | select('search', ':{SSHA}')"
                        " | list | length == 40",
                    ],
                },
                "vars": {
                    "_credentials": "{{ _cities"
                    " | citypbx_phone_credentials(citypbx_provisioning_secret) }}",
                },
            }
        ],
    )
    assert "failed=0" in output, output


def test_the_site_from_the_role_variables(inventory: Path, tmp_path: Path) -> None:
    output = run_play(
        inventory,
        tmp_path,
        [
            {
                "ansible.builtin.assert": {
                    "that": ["'listen 192.0.2.1:443 ssl;' in _site"],
                },
                "vars": {
                    "provisioning_server_address": "192.0.2.1",
                    "_site": "{{ {'provisioning_server_address': provisioning_server_address}"
                    " | citypbx_provisioning_site(inventory_hostname) }}",
                },
            }
        ],
    )
    assert "failed=0" in output, output
