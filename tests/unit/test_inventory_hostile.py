"""Hostile or careless input (issue 8): the validator reports it, it never crashes, hangs or
runs out of memory, and each refusal names the file, the key path and the fix.

YAML bombs run in a forked child held to a few seconds and a few hundred megabytes, so that a
regression fails this test instead of taking the machine down.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import re
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from conftest import PRODUCTION
from hypothesis import given
from hypothesis import strategies as st
from test_inventory_errors import KAZAN, KZ, MOSCOW, MSK, assert_reported, error_lines
from test_inventory_property import LINE

from citypbx.inventory import Inventory, Variable, load_inventory, validate, yamlio
from citypbx.inventory.transports import check_phone_transports
from citypbx.inventory.yamlio import YamlSyntaxError, parse_yaml

if TYPE_CHECKING:
    from conftest import InventoryCopy

BOMB_FILE = "group_vars/all/bomb.yml"
# Where building stopped: a variable of the bomb, then list indexes down to the budget's end.
BOMB_AT = re.compile(rf"{re.escape(BOMB_FILE)}: a[0-9](\[[0-9]\])+: expands to more than ")


# ---- running a bomb safely -------------------------------------------------------------------


def _address_space() -> int:
    """This process's virtual memory size in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize in /proc/self/status")


def bounded(work: Callable[[], object], *, seconds: float = 10, megabytes: int = 300) -> object:
    """WORK's result, computed in a forked child allowed SECONDS and MEGABYTES more memory.

    An exception in the child comes back as the text `raised <type>: <message>`."""
    context = multiprocessing.get_context("fork")
    results = context.SimpleQueue()

    def child() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (_address_space() + megabytes * 2**20, hard))
        try:
            result: object = work()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as text
            result = f"raised {type(exc).__name__}: {str(exc)[:200]}"
        results.put(result)

    process = context.Process(target=child)
    started = time.monotonic()
    process.start()
    process.join(seconds)
    if process.is_alive():
        process.kill()
        process.join()
        pytest.fail(f"still running after {seconds} s")
    elapsed = time.monotonic() - started
    assert not results.empty(), f"the child died (exit code {process.exitcode}) after {elapsed}s"
    return results.get()


def laughs(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": each level an alias list of the level below (9**9 leaves)."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def merge_laughs(levels: int = 9, width: int = 9) -> str:
    """The same bomb through merge keys (`<<`), which PyYAML's own flattening copies."""
    lines = ["m0: &m0 {k: lol}"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*m{level - 1}"] * width)
        lines.append(f"m{level}: &m{level} {{<<: [{refs}], k{level}: [{refs}]}}")
    return "\n".join(lines) + "\n"


def _parse(text: str) -> Callable[[], object]:
    def work() -> object:
        try:
            data, problems = parse_yaml(text)
        except YamlSyntaxError as exc:
            return f"refused: {exc}"
        return f"parsed: {type(data).__name__}, problems {problems[:2]}"

    return work


def _validate(root: Path) -> Callable[[], object]:
    return lambda: error_lines(validate(root))


def test_the_bomb_generators_are_small() -> None:
    assert len(laughs().encode()) < 600
    assert len(merge_laughs().encode()) < 1100


@pytest.mark.parametrize("text", [laughs(), merge_laughs()], ids=["aliases", "merge-keys"])
def test_an_alias_bomb_is_refused_quickly_in_little_memory(text: str) -> None:
    started = time.monotonic()
    outcome = bounded(_parse(text), seconds=10, megabytes=300)
    assert isinstance(outcome, str), outcome
    assert outcome.startswith("refused: "), outcome
    assert "aliases" in outcome, outcome
    assert time.monotonic() - started < 5


def test_an_alias_bomb_in_an_inventory_file_is_a_finding(inventory: InventoryCopy) -> None:
    inventory.write(BOMB_FILE, laughs())
    lines = bounded(_validate(inventory.root), seconds=10, megabytes=300)
    assert isinstance(lines, list), lines
    bombs = [line for line in lines if BOMB_AT.match(line)]
    assert len(bombs) == 1, lines
    assert "aliases" in bombs[0]
    assert LINE.fullmatch(bombs[0]), bombs[0]


def test_the_node_budget_is_far_above_the_biggest_real_file() -> None:
    """The budget refuses bombs, never an inventory: the sample's biggest file builds a few
    hundred values; the budget is hundreds of times that."""
    biggest = max(
        _values(parse_yaml(path.read_text("utf-8"))[0])
        for inv in ("production", "staging", "lab-production")
        for path in (Path(__file__).parents[2] / "inventories" / inv).rglob("*.yml")
    )
    assert 100 < biggest < yamlio.MAX_NODES / 100, biggest


def _values(data: object) -> int:
    """How many values (keys included) DATA is built of, as the loader counts them."""
    if isinstance(data, dict):
        return 1 + sum(1 + _values(value) for value in data.values())
    if isinstance(data, list):
        return 1 + sum(_values(item) for item in data)
    return 1


DEEP = {
    "flow list": "x: " + "[" * 3000 + "]" * 3000 + "\n",
    "flow mapping": "x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
    "block mapping": "".join(" " * i + f"k{i}:\n" for i in range(3000)) + " " * 3000 + "v\n",
    "block list": "x:\n" + "".join(" " * i + "-\n" for i in range(1, 3000)) + " " * 3000 + "- v\n",
    "recursive merge": "a: &a {<<: *a, b: 1}\n",
}


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_is_refused_not_a_recursion_error(text: str) -> None:
    outcome = bounded(_parse(text), seconds=10)
    assert isinstance(outcome, str), outcome
    assert "RecursionError" not in outcome, outcome
    assert "nested" in outcome, outcome


def test_deep_nesting_in_an_inventory_file_is_a_finding(inventory: InventoryCopy) -> None:
    inventory.write(BOMB_FILE, DEEP["flow list"])
    lines = bounded(_validate(inventory.root), seconds=10)
    assert isinstance(lines, list), lines
    deep = [line for line in lines if line.startswith(f"{BOMB_FILE}: ")]
    assert len(deep) == 1, lines
    assert "nested more than 64 levels" in deep[0], deep[0]
    assert LINE.fullmatch(deep[0]), deep[0]


def test_a_recursion_error_while_composing_becomes_a_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Belt and braces: should PyYAML's composer recurse past Python's limit anyway (a caller
    with a deep stack, a lower limit), the file is refused, not the validator."""
    monkeypatch.setattr(yamlio, "MAX_DEPTH", 10**6)
    with pytest.raises(YamlSyntaxError, match="nested too deeply"):
        parse_yaml(DEEP["flow list"])


def test_merge_keys_keep_their_meaning() -> None:
    """Own keys win over merged ones, earlier merged mappings over later ones, and an
    overridden merged key is no duplicate."""
    data, problems = parse_yaml(
        "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n"
    )
    assert problems == []
    assert isinstance(data, dict)
    assert data["c"] == {"x": 3, "y": 1, "z": 2}
    _, problems = parse_yaml("c:\n  <<: 5\n")
    assert [loc for loc, _ in problems] == [("c", "<<")]


def test_the_loader_refuses_for_every_caller(inventory: InventoryCopy) -> None:
    inventory.write(BOMB_FILE, laughs())
    loaded = bounded(lambda: [str(e) for e in load_inventory(inventory.root).errors])
    assert isinstance(loaded, list), loaded
    assert [line for line in loaded if BOMB_AT.match(line)], loaded


# ---- destinations that loop ------------------------------------------------------------------
# A loop a call follows with nobody acting (closed, not answered, no key pressed) circles for
# ever on a trunk channel. Menu options are not such a step: a caller chose them ("9: back to
# the main menu" is a design, not a loop).

MENU = {"prompt": "custom/kazan-main-menu", "options": {"1": "salon:kazan-baumana"}}


def _two_menus(inventory: InventoryCopy, first_default: str, second_default: str) -> None:
    inventory.set(KAZAN, f"{KZ}.menus[0].default", first_default)
    inventory.append(
        KAZAN, f"{KZ}.menus", {"id": "kazan-second", **MENU, "default": second_default}
    )


def _loop_lines(inventory: InventoryCopy) -> list[str]:
    return [line for line in error_lines(inventory.validate()) if "loop" in line]


def test_menus_whose_defaults_loop_are_refused_naming_the_cycle(inventory: InventoryCopy) -> None:
    _two_menus(inventory, "menu:kazan-second", "menu:kazan-main")
    assert _loop_lines(inventory) == [
        f"{KAZAN}: {KZ}.menus[0].default: calls loop with nobody acting: menu:kazan-main "
        "(default) -> menu:kazan-second (default) -> menu:kazan-main; end the chain at "
        "voicemail:<salon>, extension:<ext> or hangup"
    ]


def test_a_menu_whose_default_is_itself_is_refused(inventory: InventoryCopy) -> None:
    inventory.set(KAZAN, f"{KZ}.menus[0].default", "menu:kazan-main")
    assert _loop_lines(inventory) == [
        f"{KAZAN}: {KZ}.menus[0].default: default sends calls back to this same menu (loop); "
        "end the chain at voicemail:<salon>, extension:<ext> or hangup"
    ]


def test_a_salon_and_a_menu_that_send_calls_to_each_other_are_refused(
    inventory: InventoryCopy,
) -> None:
    inventory.set(KAZAN, f"{KZ}.salons[0].no_answer", "menu:kazan-main")
    inventory.set(KAZAN, f"{KZ}.menus[0].default", "salon:kazan-baumana")
    assert _loop_lines(inventory) == [
        f"{KAZAN}: {KZ}.menus[0].default: calls loop with nobody acting: menu:kazan-main "
        "(default) -> salon:kazan-baumana (no_answer) -> menu:kazan-main; end the chain at "
        "voicemail:<salon>, extension:<ext> or hangup"
    ]


def test_overflow_and_after_hours_that_loop_together_are_refused(
    inventory: InventoryCopy,
) -> None:
    """kazan-pushkina sends its after-hours calls to kazan-baumana; baumana unanswered back to
    pushkina: while one is closed and the other rings out, the call circles."""
    inventory.set(KAZAN, f"{KZ}.salons[0].no_answer", "salon:kazan-pushkina")
    assert _loop_lines(inventory) == [
        f"{KAZAN}: {KZ}.salons[0].no_answer: calls loop with nobody acting: "
        "salon:kazan-baumana (no_answer) -> salon:kazan-pushkina (after_hours) -> "
        "salon:kazan-baumana; end the chain at voicemail:<salon>, extension:<ext> or hangup"
    ]


def test_a_loop_across_cities_is_refused(inventory: InventoryCopy) -> None:
    inventory.set(KAZAN, f"{KZ}.salons[0].no_answer", "salon:moscow-tverskaya")
    inventory.set(MOSCOW, f"{MSK}.salons[0].after_hours", "salon:kazan-baumana")
    lines = _loop_lines(inventory)
    assert len(lines) == 1, lines
    assert "salon:kazan-baumana (no_answer) -> salon:moscow-tverskaya (after_hours)" in lines[0]


def test_a_menu_option_back_to_the_main_menu_is_no_loop(inventory: InventoryCopy) -> None:
    inventory.set(
        KAZAN, f"{KZ}.menus[0].options", {"1": "salon:kazan-baumana", "9": "menu:kazan-main"}
    )
    _two_menus(inventory, "voicemail:kazan-pushkina", "menu:kazan-main")
    report = inventory.validate()
    assert report.ok, error_lines(report)


def test_many_salons_in_a_ring_are_checked_quickly(inventory: InventoryCopy) -> None:
    """The loop search stays linear-ish: a city of 400 salons chained in one ring."""
    salons = inventory.get(KAZAN, f"{KZ}.salons")
    template = salons[0]
    ring = []
    for index in range(400):
        salon = {**template, "id": f"ring-{index}", "phones": []}
        salon["extensions"] = [
            {
                **template["extensions"][0],
                "extension": f"{5000 + index}",
                "secret": f"{{{{ vault_ring_{index} }}}}",
            }
        ]
        salon["no_answer"] = f"salon:ring-{(index + 1) % 400}"
        salon["after_hours"] = f"salon:ring-{(index + 7) % 400}"
        ring.append(salon)
    inventory.set(KAZAN, f"{KZ}.salons", [*salons, *ring])
    started = time.monotonic()
    lines = _loop_lines(inventory)
    assert time.monotonic() - started < 5
    assert lines, "a ring is a loop"
    assert len(lines) < 50, len(lines)


# ---- secrets shared in the files on disk -------------------------------------------------------


def test_two_extensions_naming_one_vault_variable_are_refused(inventory: InventoryCopy) -> None:
    first = inventory.get(KAZAN, f"{KZ}.salons[0].extensions[0].secret")
    inventory.set(KAZAN, f"{KZ}.salons[0].extensions[1].secret", first)
    assert error_lines(inventory.validate()) == [
        f"{KAZAN}: {KZ}.salons[0].extensions[1].secret: secret is the same as the one at "
        f"{KAZAN}: {KZ}.salons[0].extensions[0].secret; give each extension its own secret, "
        "e.g. openssl rand -base64 24"
    ]


# ---- !vault values that do not decrypt ----------------------------------------------------------

VAULT = "group_vars/all/vault.yml"
PASSWORD = "correct horse battery staple"


def _inline_vault(plain: str, password: str) -> str:
    from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: PLC0415

    vault = VaultLib([("default", VaultSecret(password.encode()))])
    text: str = vault.encrypt(plain.encode()).decode()
    return "!vault |\n" + "".join(f"  {line}\n" for line in text.splitlines())


def _set_vault_value(inventory: InventoryCopy, name: str, yaml_value: str) -> None:
    """Write YAML_VALUE (text such as an inline `!vault` block) as vault variable NAME."""
    text = (inventory.root / VAULT).read_text("utf-8")
    line = f'{name}: "FAKE-change-me-with-ansible-vault"\n'
    assert line in text
    inventory.write(VAULT, text.replace(line, f"{name}: {yaml_value}"))


def _password_file(tmp_path: Path) -> Path:
    path = tmp_path / "vault-password"
    path.write_text(PASSWORD + "\n")
    return path


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (_inline_vault("Xq7vLr2mZ9pKt4Ws", "another password"), "does not decrypt"),
        ("!vault |\n  not an ansible-vault text\n", "is not an ansible-vault text"),
    ],
    ids=["other-password", "garbage"],
)
def test_an_inline_vault_value_that_does_not_decrypt_is_a_finding(
    inventory: InventoryCopy, tmp_path: Path, value: str, fragment: str
) -> None:
    good = _inline_vault("Bn4xTq8wKd2pLz6Rv", PASSWORD)
    text = (inventory.root / VAULT).read_text("utf-8")
    text = text.replace(
        'vault_ext_1101_secret: "FAKE-change-me-with-ansible-vault"',
        f"vault_ext_1101_secret: {value}vault_ext_1102_secret_copy: {good}",
    )
    inventory.write(VAULT, text)
    report = inventory.validate(vault_password_file=_password_file(tmp_path))
    lines = error_lines(report)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{VAULT}: vault_ext_1101_secret: !vault value "), lines
    assert fragment in lines[0]
    assert LINE.fullmatch(lines[0]), lines[0]
    assert "Xq7vLr2mZ9pKt4Ws" not in lines[0]
    assert "Bn4xTq8wKd2pLz6Rv" not in "\n".join(lines)


def test_inline_vault_values_are_left_alone_without_a_password(inventory: InventoryCopy) -> None:
    _set_vault_value(inventory, "vault_ext_1101_secret", _inline_vault("Xq7vLr2mZ9pKt4Ws", "x"))
    assert inventory.validate().ok


# ---- SIP transports ----------------------------------------------------------------------------

PROVISIONING = "group_vars/provisioning/provisioning.yml"
SETTINGS = "citypbx_phone_settings"


def test_phones_told_to_use_tls_without_a_tls_transport_are_refused(
    inventory: InventoryCopy,
) -> None:
    """The asterisk role opens udp and tcp (asterisk_sip_protocols): a phone told tls would
    never register."""
    inventory.set(PROVISIONING, f"{SETTINGS}.sip_transport", "tls")
    assert error_lines(inventory.validate()) == [
        f"{PROVISIONING}: {SETTINGS}.sip_transport: phones would register over tls, but PBX "
        "pbx1.citypbx.example has no tls transport (asterisk_sip_protocols: udp, tcp, and the "
        "asterisk role cannot open tls); use udp or tcp"
    ]


def test_a_city_override_to_tls_is_refused_at_the_override(inventory: InventoryCopy) -> None:
    inventory.set(PROVISIONING, f"{SETTINGS}.cities", {"kazan": {"sip_transport": "tls"}})
    lines = error_lines(inventory.validate())
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{PROVISIONING}: {SETTINGS}.cities.kazan.sip_transport: "), lines


def test_tcp_phones_on_a_pbx_opening_udp_only_are_refused(inventory: InventoryCopy) -> None:
    inventory.set(PROVISIONING, f"{SETTINGS}.sip_transport", "tcp")
    assert inventory.validate().ok  # the role opens tcp by default
    inventory.set("group_vars/pbx/asterisk.yml", "asterisk_sip_protocols", ["udp"])
    lines = error_lines(inventory.validate())
    assert len(lines) == 1, lines
    assert "has no tcp transport (asterisk_sip_protocols: udp)" in lines[0]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (["udp", "tls"], "the asterisk role has no tls transport"),
        ("udp", "expected a list"),
        ([["udp"]], "expected a list"),
    ],
)
def test_sip_protocols_the_role_cannot_open_are_refused(
    inventory: InventoryCopy, value: object, fragment: str
) -> None:
    inventory.set("group_vars/pbx/asterisk.yml", "asterisk_sip_protocols", value)
    assert_reported(
        inventory.validate(), "group_vars/pbx/asterisk.yml", "asterisk_sip_protocols", fragment
    )


@pytest.mark.parametrize("path", ["trunks[0]", "salons[0].extensions[0]", "salons[0].phones[0]"])
def test_there_is_no_per_trunk_or_phone_transport_to_get_wrong(
    inventory: InventoryCopy, path: str
) -> None:
    inventory.set(KAZAN, f"{KZ}.{path}.sip_transport", "tls")
    assert_reported(inventory.validate(), KAZAN, f"{KZ}.{path}.sip_transport", "unknown key")


def test_the_role_default_protocols_are_the_validators() -> None:
    from citypbx.inventory.transports import ASTERISK_SIP_PROTOCOLS  # noqa: PLC0415

    repo = Path(__file__).parents[2]
    defaults = yaml.safe_load((repo / "roles/asterisk/defaults/main.yml").read_text("utf-8"))
    specs = yaml.safe_load((repo / "roles/asterisk/meta/argument_specs.yml").read_text("utf-8"))
    spec = specs["argument_specs"]["main"]["options"]["asterisk_sip_protocols"]
    assert tuple(defaults["asterisk_sip_protocols"]) == ASTERISK_SIP_PROTOCOLS
    assert tuple(spec["choices"]) == ASTERISK_SIP_PROTOCOLS


# ---- time zones the phones cannot be set to ------------------------------------------------------


def test_a_time_zone_the_phones_cannot_express_is_refused(inventory: InventoryCopy) -> None:
    inventory.set(KAZAN, f"{KZ}.timezone", "Europe/Kaliningrad")  # a real IANA zone
    assert error_lines(inventory.validate()) == [
        f"{KAZAN}: {KZ}.timezone: the desk phones have no setting for Europe/Kaliningrad "
        "(citypbx/data/phone_models.yml, timezones); use one of Asia/Novosibirsk, "
        "Asia/Yekaterinburg, Europe/Moscow, Europe/Samara, or add the zone's Yealink and "
        "Grandstream entries there"
    ]


def test_the_validator_and_the_phone_builder_read_one_table() -> None:
    """Every zone the validator accepts, the builder can write; the others it refuses."""
    from citypbx.phones import load_catalog  # noqa: PLC0415

    catalog = load_catalog()
    assert catalog.time_zone("Europe/Moscow") is catalog.timezones["Europe/Moscow"]
    assert catalog.time_zone("Europe/Kaliningrad") is None


def test_render_names_the_vault_value_ansible_could_not_decrypt(
    inventory: InventoryCopy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`citypbx render` resolves with Ansible, whose error names no file; the kit's own loader
    then says which value it is."""
    from citypbx.cli import main  # noqa: PLC0415

    _set_vault_value(inventory, "vault_ext_1101_secret", _inline_vault("Xq7vLr2mZ9pKt4Ws", "x"))
    args = ["render", str(inventory.root), "--host", "pbx1.citypbx.example"]
    args += ["--out", str(tmp_path / "out"), "--vault-password-file", str(_password_file(tmp_path))]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert f"{VAULT}: vault_ext_1101_secret: !vault value does not decrypt" in out, out
    assert "Xq7vLr2mZ9pKt4Ws" not in out


_ANYTHING = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=6)
    | st.sampled_from(["udp", "tcp", "tls"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=5,
)


@pytest.fixture(scope="module")
def loaded_production() -> Inventory:
    return load_inventory(PRODUCTION)


@given(value=_ANYTHING, transport=st.sampled_from(["udp", "tcp", "tls"]))
def test_any_sip_protocols_value_is_reported_never_raised(
    loaded_production: Inventory, value: object, transport: str
) -> None:
    """The raw asterisk_sip_protocols is read before any model: whatever it holds."""
    from citypbx.inventory.validate import _city_groups  # noqa: PLC0415
    from citypbx.provisioning.settings import ProvisioningSettings  # noqa: PLC0415

    var = Variable(
        "asterisk_sip_protocols",
        value,
        "group_vars/pbx/asterisk.yml",
        ("asterisk_sip_protocols",),
        "group",
        "pbx",
        True,
        False,
    )
    inventory = dataclasses.replace(
        loaded_production, variables=[*loaded_production.variables, var]
    )
    settings = ProvisioningSettings.model_validate(
        {
            "sip_server": "pbx1.example",
            "sip_transport": transport,
            "ntp_server": "ntp.example",
            "provisioning_url": "https://prov.example/",
        }
    )
    settings_var = Variable(
        "citypbx_phone_settings",
        {},
        "group_vars/provisioning/provisioning.yml",
        ("citypbx_phone_settings",),
        "group",
        "provisioning",
        True,
        False,
    )
    groups = _city_groups(inventory, [])
    for issue in check_phone_transports(inventory, groups, [(settings_var, settings)]):
        assert LINE.fullmatch(str(issue)), str(issue)


# ---- the overlay (staging) ---------------------------------------------------------------------
# Found by running the property test's mutations on staging's overlay.yml: several findings
# were not `<what>; <fix>` lines, and a city name was used as part of a file path unchecked.

STAGING = Path(__file__).resolve().parents[2] / "inventories" / "staging"
OVERLAY = "group_vars/all/overlay.yml"


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    shutil.copytree(PRODUCTION, tmp_path / "production")
    shutil.copytree(STAGING, tmp_path / "staging", ignore=shutil.ignore_patterns("vault.yml"))
    return tmp_path / "staging"


def _overlay(root: Path, change: dict[str, object] | None, whole: object = None) -> None:
    path = root / OVERLAY
    data = yaml.safe_load(path.read_text("utf-8"))
    if change is None:
        data = whole
    else:
        data["citypbx_overlay"].update(change)
    path.write_text(yaml.safe_dump(data), "utf-8")


@pytest.mark.parametrize(
    ("change", "whole", "path"),
    [
        (None, {"citypbx_overlay": 5}, "citypbx_overlay"),
        (None, [1, 2], "citypbx_overlay"),
        ({"isolate_trunks": "yes"}, None, "citypbx_overlay.isolate_trunks"),
        ({"overrides": ["kazan"]}, None, "citypbx_overlay.overrides"),
        ({"base": 7}, None, "citypbx_overlay.base"),
        ({"company": ["operators", "vault"]}, None, "citypbx_overlay.company[1]"),
        ({"cities": ["kazan", "tula"]}, None, "citypbx_overlay.cities[1]"),
    ],
)
def test_every_overlay_finding_is_one_clean_line(
    staging: Path, change: dict[str, object] | None, whole: object, path: str
) -> None:
    _overlay(staging, change, whole)
    lines = error_lines(validate(staging, skip_encrypted=True))
    assert [line for line in lines if line.startswith(f"{OVERLAY}: {path}: ")], lines
    for line in lines:
        assert LINE.fullmatch(line), line


@pytest.mark.parametrize("name", ["../production/group_vars/all/vault", "kazan/../kazan", "Kazan"])
def test_an_overlay_city_that_is_not_a_slug_is_refused_and_not_read(
    staging: Path, name: str
) -> None:
    _overlay(staging, {"cities": ["kazan", name]})
    loaded = load_inventory(staging)
    assert [
        str(e)
        for e in loaded.errors
        if str(e).startswith(f"{OVERLAY}: citypbx_overlay.cities[1]: ")
    ]
    assert all("vault" not in str(v.file) for v in loaded.variables), "read outside the base"


def test_an_overlay_company_name_outside_the_list_is_not_read(staging: Path) -> None:
    """`company: [vault]` would have brought the base's vault.yml in as company data."""
    _overlay(staging, {"company": ["operators", "vault"]})
    loaded = load_inventory(staging)
    assert not [v for v in loaded.variables if v.file.endswith("all/vault.yml")]
