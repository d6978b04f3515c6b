"""The Ansible module citypbx_phone_files: its pure `run()`, the directory sync, and `main()`."""

from __future__ import annotations

import copy
import json
import stat
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from module_runner import load_module, run_module

REPO = Path(__file__).resolve().parents[2]
MODULE_PATH = REPO / "plugins" / "modules" / "citypbx_phone_files.py"
GROUP_VARS = REPO / "inventories" / "production" / "group_vars"
SETTINGS = {
    "sip_server": "pbx1.citypbx.example",
    "ntp_server": "ntp.citypbx.example",
    "vlan_id": 20,
    "provisioning_url": "https://prov.citypbx.example/phones/",
}
PROVISIONING_SECRET = "module-test-provisioning-secret"
ADMIN_SECRET = "module-test-admin-secret-value"
MAILBOX_PIN = "5839204761"  # long enough to search the output for


@pytest.fixture(scope="module")
def module() -> ModuleType:
    return load_module(MODULE_PATH)


def cities_as_ansible_passes_them() -> dict[str, Any]:
    """Every production city with its secrets resolved (test values), as plain data.

    As Ansible passes them to a module: `{{ vault_* }}` references resolved (trunk passwords
    and mailbox PINs too), dates as text (JSON).
    """
    cities = {}
    for path in sorted(GROUP_VARS.glob("city_*.yml")):
        slug = path.stem.removeprefix("city_")
        city = yaml.safe_load(path.read_text())[f"citypbx_city_{slug}"]
        for trunk in city["trunks"]:
            if "password" in trunk:
                trunk["password"] = f"resolved-password-{trunk['id']}"
        for salon in city["salons"]:
            for ext in salon["extensions"]:
                ext["secret"] = f"resolved-secret-{ext['extension']}"
            if "voicemail" in salon:
                salon["voicemail"]["pin"] = MAILBOX_PIN
        cities[slug] = json.loads(json.dumps(city, default=str))
    return cities


def params(dest: Path, **changes: Any) -> dict[str, Any]:
    return {
        "cities": cities_as_ansible_passes_them(),
        "only_cities": None,
        "settings": SETTINGS,
        "provisioning_secret": PROVISIONING_SECRET,
        "admin_secret": ADMIN_SECRET,
        "dest": str(dest),
        **changes,
    }


def phone_files(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir() if not p.name.startswith("."))


def test_first_run_creates_every_file_0640(module: ModuleType, tmp_path: Path) -> None:
    dest = tmp_path / "phones"
    result = module.run(params(dest))
    assert result["changed"] is True
    assert result["phones"] == 40
    assert result["files"] == len(result["created"]) == len(phone_files(dest)) == 66
    assert len(result["changed_macs"]) == 40
    assert {p["mac"] for p in result["changed_phones"]} == set(result["changed_macs"])
    assert stat.S_IMODE(dest.stat().st_mode) == 0o750
    assert {stat.S_IMODE((dest / n).stat().st_mode) for n in phone_files(dest)} == {0o640}
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_second_run_changes_nothing(module: ModuleType, tmp_path: Path) -> None:
    module.run(params(tmp_path))
    before = {n: (tmp_path / n).stat().st_mtime_ns for n in phone_files(tmp_path)}
    result = module.run(params(tmp_path))
    assert result["changed"] is False
    assert result["changed_macs"] == result["created"] == result["updated"] == []
    assert {n: (tmp_path / n).stat().st_mtime_ns for n in phone_files(tmp_path)} == before


def test_only_the_changed_phones_are_reported(module: ModuleType, tmp_path: Path) -> None:
    module.run(params(tmp_path))
    changed = params(tmp_path)
    kazan = changed["cities"]["kazan"]["salons"][0]
    kazan["extensions"][0]["name"] = "Anna Petrova"  # 2101: its phone and its colleague's keys
    result = module.run(changed)
    assert result["changed_macs"] == ["805ec0432101", "c074ad432102"]
    assert result["updated"] == ["805ec0432101.cfg", "cfgc074ad432102.xml"]  # boot unchanged
    assert [p["extension"] for p in result["changed_phones"]] == ["2101", "2102"]


def test_removed_phones_lose_their_files(module: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "y000000000000.cfg").write_text("common file, not ours\n")
    (tmp_path / "805ec0432101-local.cfg").write_text("uploaded by the phone\n")
    (tmp_path / "805ec0999999.cfg").write_text("a phone nobody lists any more\n")
    module.run(params(tmp_path))
    changed = params(tmp_path)
    del changed["cities"]["kazan"]["salons"][0]["phones"][0]  # 805ec0432101
    result = module.run(changed)
    assert result["removed"] == ["805ec0432101.boot", "805ec0432101.cfg"]
    assert result["removed_macs"] == ["805ec0432101"]
    names = phone_files(tmp_path)
    assert "y000000000000.cfg" in names
    assert "805ec0432101-local.cfg" in names
    assert "805ec0999999.cfg" not in names  # removed by the first run: a stale phone file


def test_only_cities_leaves_the_others_alone(module: ModuleType, tmp_path: Path) -> None:
    module.run(params(tmp_path))
    changed = params(tmp_path, only_cities=["ufa"])
    # A Kazan phone moves to Ufa's first salon: rendering only Kazan must not delete it.
    moved = changed["cities"]["kazan"]["salons"][1]["phones"].pop(0)  # 805ec0432201 (2201)
    moved["extension"] = changed["cities"]["ufa"]["salons"][0]["extensions"][0]["extension"]
    changed["cities"]["ufa"]["salons"][0]["phones"].append(moved)
    result = module.run({**changed, "only_cities": ["kazan"]})
    assert result["removed"] == []
    assert result["phones"] == 3
    result = module.run(changed)  # now Ufa: the phone's files are rewritten for Ufa
    assert "805ec0432201" in result["changed_macs"]
    assert "city ufa." in (tmp_path / "805ec0432201.cfg").read_text()
    assert all(p["city"] == "ufa" for p in result["changed_phones"])


def test_check_mode_writes_nothing(module: ModuleType, tmp_path: Path) -> None:
    dest = tmp_path / "phones"
    result = module.run(params(dest), check_mode=True)
    assert result["changed"] is True
    assert len(result["changed_macs"]) == 40
    assert not dest.exists()


def test_diff_shows_changes_with_secrets_redacted(module: ModuleType, tmp_path: Path) -> None:
    module.run(params(tmp_path))
    changed = params(tmp_path)
    ext = changed["cities"]["kazan"]["salons"][0]["extensions"][0]
    ext["secret"] = "a-new-secret-2101"
    result = module.run(changed, check_mode=True, diff=True)
    assert result["changed_macs"] == ["805ec0432101"]
    text = json.dumps(result["diff"])
    assert "resolved-secret-2101" not in text
    assert "a-new-secret-2101" not in text
    assert "account.1.password = ********" in text
    assert "account.1.user_name = 2101-" in text  # the endpoint name follows the secret


def test_mode_drift_is_repaired(module: ModuleType, tmp_path: Path) -> None:
    module.run(params(tmp_path))
    (tmp_path / "805ec0432101.cfg").chmod(0o644)
    result = module.run(params(tmp_path))
    assert result["changed"] is True
    assert result["changed_macs"] == []
    assert stat.S_IMODE((tmp_path / "805ec0432101.cfg").stat().st_mode) == 0o640


def test_bad_input_fails_with_the_fix(module: ModuleType, tmp_path: Path) -> None:
    result = module.run(params(tmp_path, only_cities=["kazn"]))
    assert result["failed"] is True
    assert "no city kazn" in result["msg"]
    result = module.run(params(tmp_path, settings={**SETTINGS, "vlan_id": 9999}))
    assert "vlan_id: 9999 is not a VLAN id" in result["msg"]
    broken = params(tmp_path)
    del broken["cities"]["kazan"]["salons"][0]["extensions"]
    result = module.run(broken)
    assert result["failed"] is True
    assert (
        "city kazan: citypbx_city_kazan.salons[0].extensions: required key is missing"
        in result["msg"]
    )
    assert not phone_files(tmp_path)


def test_every_problem_of_every_city_is_reported_at_once(
    module: ModuleType, tmp_path: Path
) -> None:
    """The city data is validated with the model in resolved mode before anything is built."""
    broken = params(tmp_path)
    kazan = broken["cities"]["kazan"]["salons"][0]
    kazan["phones"][0]["mac"] = "80:5e:c0:43:21"
    kazan["extensions"][1]["secret"] = "short-2102"
    broken["cities"]["ufa"]["salons"][0]["extensions"][0]["secret"] = "{{ vault_ext_secret }}"
    broken["cities"]["samara"] = None
    result = module.run(broken)
    assert result["failed"] is True
    lines = result["msg"].splitlines()
    assert lines[0] == "4 error(s) in the city data:"
    expected = [  # sorted by city and key path; the model's own wording after the path
        ("city kazan: citypbx_city_kazan.salons[0].extensions[1].secret: ", "too short"),
        ("city kazan: citypbx_city_kazan.salons[0].phones[0].mac: ", "is not a MAC address"),
        ("city samara: citypbx_city_samara: ", "expected a mapping"),
        ("city ufa: citypbx_city_ufa.salons[0].extensions[0].secret: ", "was not resolved"),
    ]
    assert len(lines) == 1 + len(expected)
    for line, (where, problem) in zip(lines[1:], expected, strict=True):
        assert line.startswith(where), line
        assert problem in line, line
    assert "short-2102" not in result["msg"]  # secrets are never shown
    assert not phone_files(tmp_path)


def _run_main(args: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], str]:
    """Run the module as Ansible does: its own process, arguments as JSON."""
    run = run_module(MODULE_PATH, args, tmp_path)
    assert run.returncode == (1 if run.result.get("failed") else 0)
    return run.result, run.stdout


def test_main_hides_every_secret_from_the_output(tmp_path: Path) -> None:
    dest = tmp_path / "phones"
    args = params(dest)
    del args["only_cities"]
    args["_ansible_diff"] = True
    result, output = _run_main(args, tmp_path)
    assert result["changed"] is True
    assert result["diff"]
    for secret in ("resolved-secret-2101", PROVISIONING_SECRET, ADMIN_SECRET, MAILBOX_PIN):
        assert secret not in output
    assert "pbx1.citypbx.example" in output  # the rest stays readable
    again, _ = _run_main({**args, "_ansible_check_mode": True}, tmp_path)
    assert again["changed"] is False


def test_main_fails_cleanly(tmp_path: Path) -> None:
    args = params(tmp_path / "phones", settings={"sip_server": "pbx"})
    del args["only_cities"]
    result, _ = _run_main(args, tmp_path)
    assert result["failed"] is True
    assert "ntp_server: required key is missing" in result["msg"]


def test_city_secrets_are_collected(module: ModuleType) -> None:
    cities = copy.deepcopy(cities_as_ansible_passes_them())
    found = module.city_secrets(cities)
    assert "resolved-secret-2101" in found
    assert "resolved-password-kazan-tattelecom" in found
    assert MAILBOX_PIN in found
    # every extension secret, every trunk password and the PIN (the same in every salon here)
    assert len(found) == 40 + 11 + 1


def test_trunk_passwords_in_the_city_data_are_hidden_too(tmp_path: Path) -> None:
    """The cities carry the trunk passwords Ansible resolved; with -vvv Ansible returns the
    module's arguments (invocation.module_args): no secret of them may appear there."""
    args = params(tmp_path / "phones")
    del args["only_cities"]
    args["_ansible_verbosity"] = 3
    result, output = _run_main(args, tmp_path)
    assert "invocation" in result  # the arguments are shown at this verbosity
    assert "resolved-password-kazan-tattelecom" not in output
    assert "resolved-secret-2101" not in output
