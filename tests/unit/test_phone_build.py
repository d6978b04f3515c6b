"""citypbx.provisioning: from typed cities to the vendor-neutral phone, and its inputs."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import re
from dataclasses import replace
from typing import Any

import pytest

from citypbx.httpauth import device_password
from citypbx.inventory.models import City
from citypbx.inventory.names import endpoint_name
from citypbx.inventory.types import secrets_context
from citypbx.inventory.yamlio import VaultValue
from citypbx.phones import load_catalog
from citypbx.provisioning import (
    PhoneConfig,
    ProvisioningError,
    admin_password,
    build_phones,
    clean_text,
    default_renderer,
    http_password,
    parse_settings,
    render_cities,
    resolve_cities,
    validate_cities,
)
from citypbx.provisioning.parse import parse_yealink

SETTINGS: dict[str, Any] = {
    "sip_server": "pbx.example",
    "ntp_server": "ntp.example",
    "provisioning_url": "https://prov.example/phones",
}
SECRETS: dict[str, Any] = {
    "provisioning_secret": "provisioning-secret-0123456789",
    "admin_secret": "admin-secret-0123456789abcdef",
}


def line_secret(number: str) -> str:
    """The (resolved) SIP secret of an extension in these tests."""
    return f"test-line-secret-{number}"


def city(extensions: list[tuple[str, str]], phones: list[tuple[str, str, str]]) -> dict:
    """One city, one salon, as Ansible resolves it: extensions (number, name), phones (mac,
    model, extension)."""
    vendor = {"T": "yealink", "G": "grandstream"}
    return {
        "name": "Kazan",
        "timezone": "Europe/Moscow",
        "area_code": "843",
        "caller_id": "+78435550100",
        "emergency_trunk": "tattelecom",
        "trunks": [
            {
                "id": "tattelecom",
                "operator": "tattelecom",
                "contract": "C-1",
                "priority": 1,
                "auth": "ip",
                "server": "198.51.100.1",
                "match": ["198.51.100.0/28"],
                "channels": 10,
            }
        ],
        "salons": [
            {
                "id": "kazan-baumana",
                "name": "Baumana",
                "hours": ["mon-fri 09:00-20:00"],
                "distribution": "ringall",
                "ring_timeout": 25,
                "after_hours": "hangup",
                "no_answer": "hangup",
                "extensions": [
                    {"extension": n, "name": name, "secret": line_secret(n), "cos": "local"}
                    for n, name in extensions
                ],
                "phones": [
                    {"mac": mac, "vendor": vendor[model[0]], "model": model, "extension": ext}
                    for mac, model, ext in phones
                ],
            }
        ],
    }


KAZAN = city(
    [("2101", "Anna"), ("2102", "Boris"), ("2103", "Vera")],
    [("80:5e:c0:00:00:01", "T46U", "2101"), ("c0:74:ad:00:00:02", "GXP2130", "2102")],
)


def typed(cities: dict[str, dict]) -> list[tuple[str, City]]:
    """City data -> (slug, City) in resolved mode, by slug."""
    return sorted(validate_cities(cities).items())


def build(cities: dict[str, dict], settings: dict | None = None) -> dict[str, PhoneConfig]:
    phones = build_phones(typed(cities), settings or SETTINGS, SECRETS)
    return {phone.mac: phone for phone in phones}


def test_line_is_the_extension_as_asterisk_knows_it() -> None:
    phone = build({"kazan": KAZAN})["805ec0000001"]
    (line,) = phone.lines
    assert line.auth_user == line.user == endpoint_name("2101", line_secret("2101"))
    assert line.password == line_secret("2101")
    assert (line.display_name, line.label, line.extension) == ("Anna", "2101", "2101")
    assert (line.server, line.port, line.transport) == ("pbx.example", 5060, "udp")
    assert phone.unused_lines == tuple(range(2, 17))  # a T46U has 16 accounts


def test_colleagues_are_blf_with_a_phone_and_speed_dial_without() -> None:
    phone = build({"kazan": KAZAN})["805ec0000001"]
    assert len(phone.line_keys) == 27  # every key of a T46U, the unused ones reset
    own, boris, vera = phone.line_keys[:3]
    assert (own.kind, own.label, own.line) == ("line", "2101", 1)
    assert (boris.kind, boris.value, boris.label) == ("blf", "2102", "Boris")
    assert (vera.kind, vera.value, vera.label) == ("speed_dial", "2103", "Vera")  # no phone
    # Then the salon's night switch: a busy lamp on the hint the dialplan gives it.
    night = phone.line_keys[3]
    assert (night.kind, night.value, night.label) == ("blf", "night-kazan-baumana", "Closed")
    assert {key.kind for key in phone.line_keys[4:]} == {"none"}
    assert [key.index for key in phone.line_keys] == list(range(1, 28))
    assert phone.voicemail_code == "*97"


def test_keys_stop_at_the_models_key_count() -> None:
    phone = build({"kazan": KAZAN})["c074ad000002"]
    assert [(k.kind, k.value) for k in phone.line_keys] == [  # GXP2130: 3 keys
        ("line", ""),
        ("blf", "2101"),
        ("speed_dial", "2103"),
    ]  # no room left for the night switch: it gets none


def test_a_model_without_blf_gets_speed_dials() -> None:
    catalog = load_catalog()
    models = dict(catalog.models["yealink"])
    models["T46U"] = replace(models["T46U"], blf=False)
    patched = replace(catalog, models={**catalog.models, "yealink": models})
    (phone,) = [
        p
        for p in build_phones(typed({"kazan": KAZAN}), SETTINGS, SECRETS, patched)
        if p.model == "T46U"
    ]
    assert phone.line_keys[1].kind == "speed_dial"
    assert (phone.line_keys[3].kind, phone.line_keys[3].value) == (
        "speed_dial",
        "night-kazan-baumana",
    )


def test_time_network_security_and_reprovisioning() -> None:
    phone = build({"kazan": KAZAN}, {**SETTINGS, "vlan_id": 20})["805ec0000001"]
    assert phone.timezone.iana == "Europe/Moscow"
    assert phone.timezone.yealink_time_zone == "+3"
    assert (phone.language, phone.vlan_id, phone.ntp_server) == ("ru", 20, "ntp.example")
    assert phone.admin_password == admin_password(SECRETS["admin_secret"], "805ec0000001")
    prov = phone.provisioning
    assert prov.url == "https://prov.example/phones/"
    assert (prov.scheme, prov.host_path) == ("https", "prov.example/phones/")
    assert prov.username == "805ec0000001"
    assert prov.password == http_password(SECRETS["provisioning_secret"], "805ec0000001")
    assert prov.firmware_url == "https://prov.example/phones/firmware/yealink/T46U-108.86.0.20.rom"
    assert phone.firmware == "108.86.0.20"


def test_per_device_passwords_are_the_provisioning_servers() -> None:
    """nginx checks the HTTP password the phone files carry: both use citypbx.httpauth."""
    mac = "805ec0000001"
    assert http_password("provisioning-secret-0123456789", mac) == device_password(
        "provisioning-secret-0123456789", mac
    )
    expected = hmac.new(b"admin-secret-0123456789abc", f"admin:{mac}".encode(), hashlib.sha256)
    admin = base64.b32encode(expected.digest()).decode().lower()[:32]
    assert admin_password("admin-secret-0123456789abc", mac) == admin
    assert re.fullmatch(r"[a-z2-7]{32}", admin)
    assert http_password("a" * 16, mac) != http_password("a" * 16, "805ec0000002")
    assert admin_password("a" * 16, mac) != http_password("a" * 16, mac)


def test_city_overrides_apply_to_that_city_only() -> None:
    ufa = copy.deepcopy(KAZAN)
    ufa["timezone"] = "Asia/Yekaterinburg"
    ufa["salons"][0]["phones"] = [
        {"mac": "80:5e:c0:00:00:09", "vendor": "yealink", "model": "T31P", "extension": "2101"}
    ]
    settings = {
        **SETTINGS,
        "cities": {"ufa": {"sip_server": "pbx2.example", "sip_transport": "tls"}},
    }
    phones = build({"kazan": KAZAN, "ufa": ufa}, settings)
    assert phones["805ec0000009"].lines[0].server == "pbx2.example"
    assert phones["805ec0000009"].lines[0].transport == "tls"
    assert phones["805ec0000009"].timezone.yealink_time_zone == "+5"
    assert phones["805ec0000001"].lines[0].server == "pbx.example"


def test_names_cannot_inject_keys_into_a_file() -> None:
    evil = copy.deepcopy(KAZAN)
    evil["salons"][0]["extensions"][0]["name"] = "Anna\naccount.2.enable = 1\r"
    phone = build({"kazan": evil})["805ec0000001"]
    assert phone.lines[0].display_name == "Anna account.2.enable = 1"
    cfg = default_renderer().render_phone(phone)["805ec0000001.cfg"]
    assert parse_yealink(cfg)["account.2.enable"] == "0"
    assert clean_text("plain name") == "plain name"


def test_xml_special_characters_are_escaped() -> None:
    odd = copy.deepcopy(KAZAN)
    odd["salons"][0]["extensions"][1]["name"] = "Boris & <Co>"
    files = render_cities(validate_cities({"kazan": odd}), SETTINGS, SECRETS)
    assert "<P3>Boris &amp; &lt;Co&gt;</P3>" in files["cfgc074ad000002.xml"]


def reference_city(inline: str = "") -> City:
    """KAZAN as the files on disk hold it (reference mode): secrets are vault references, or
    an inline !vault value for the extension INLINE."""
    data = copy.deepcopy(KAZAN)
    for ext in data["salons"][0]["extensions"]:
        number = ext["extension"]
        ext["secret"] = (
            VaultValue("$ANSIBLE_VAULT;1.1;AES256")
            if number == inline
            else f"{{{{ vault_ext_{number}_secret }}}}"
        )
    return City.model_validate(data, context=secrets_context("reference"))


VAULT = {f"vault_ext_{n}_secret": f"from-the-vault-{n}" for n in ("2101", "2102", "2103")}


def test_vault_references_are_resolved_before_building() -> None:
    resolved = resolve_cities({"kazan": reference_city()}, VAULT)
    phones = build_phones(resolved.items(), SETTINGS, SECRETS)
    (phone,) = [p for p in phones if p.model == "T46U"]
    assert phone.lines[0].password == "from-the-vault-2101"
    assert phone.lines[0].user == endpoint_name("2101", "from-the-vault-2101")
    # The same phones as from the data Ansible resolves.
    ansible = copy.deepcopy(KAZAN)
    for ext in ansible["salons"][0]["extensions"]:
        ext["secret"] = VAULT[f"vault_ext_{ext['extension']}_secret"]
    assert build_phones(typed({"kazan": ansible}), SETTINGS, SECRETS) == phones
    # Resolved-mode cities pass unchanged.
    assert resolve_cities(resolved, {}) == resolved


def test_missing_vault_values_are_all_reported_with_their_key_paths() -> None:
    vault = {"vault_ext_2102_secret": VAULT["vault_ext_2102_secret"]}
    with pytest.raises(ProvisioningError) as raised:
        resolve_cities({"kazan": reference_city(), "ufa": reference_city()}, vault)
    where = "salons[0].extensions[{}].secret: no value for vault_ext_{}_secret"
    assert str(raised.value).splitlines() == [
        "4 error(s) in the city data:",
        f"city kazan: citypbx_city_kazan.{where.format(0, 2101)}; add it to the vault values",
        f"city kazan: citypbx_city_kazan.{where.format(2, 2103)}; add it to the vault values",
        f"city ufa: citypbx_city_ufa.{where.format(0, 2101)}; add it to the vault values",
        f"city ufa: citypbx_city_ufa.{where.format(2, 2103)}; add it to the vault values",
    ]


def test_resolved_values_are_checked_and_never_shown() -> None:
    weak = {**VAULT, "vault_ext_2102_secret": "FAKE-secret-for-2102"}
    with pytest.raises(ProvisioningError) as raised:
        resolve_cities({"kazan": reference_city()}, weak)
    message = str(raised.value)
    assert "citypbx_city_kazan.salons[0].extensions[1].secret: secret is a placeholder" in message
    assert "FAKE-secret-for-2102" not in message


def test_inline_vault_values_cannot_be_resolved() -> None:
    with pytest.raises(ProvisioningError, match=r"extensions\[1\]\.secret: secret is an inline"):
        resolve_cities({"kazan": reference_city(inline="2102")}, VAULT)


def test_the_builder_refuses_unresolved_secrets() -> None:
    """A reference-mode City would give phones an endpoint name no PBX knows."""
    with pytest.raises(
        ProvisioningError, match="city kazan, extension 2101: secret is not resolved"
    ):
        build_phones([("kazan", reference_city())], SETTINGS, SECRETS)


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"admin_secret": "x" * 20}, "provisioning_secret is missing"),
        ({"provisioning_secret": "short", "admin_secret": "x" * 20}, "shorter than 16"),
        ({"provisioning_secret": "x" * 20, "admin_secret": "x" * 20}, "are the same"),
    ],
)
def test_weak_secrets_are_refused(secrets: dict, message: str) -> None:
    with pytest.raises(ProvisioningError, match=message):
        build_phones(typed({"kazan": KAZAN}), SETTINGS, secrets)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sip_servr": "x"}, "sip_servr: unknown key"),
        ({"provisioning_url": "ftp://x"}, "is not an http"),
        ({"vlan_id": 5000}, "is not a VLAN id"),
        ({"sip_port": "5060"}, "sip_port: expected an integer"),
        ({"sip_transport": "sctp"}, "sip_transport"),
        ({"cities": {"kazan": {"language": "en"}}}, r"cities\.kazan\.language: unknown key"),
    ],
)
def test_settings_errors_name_the_key(change: dict, message: str) -> None:
    with pytest.raises(ProvisioningError, match=message):
        parse_settings({**SETTINGS, **change})


def test_missing_settings_are_all_reported_at_once() -> None:
    with pytest.raises(ProvisioningError) as raised:
        parse_settings({})
    assert "3 error(s)" in str(raised.value)


def test_unsupported_inputs_say_what_to_add() -> None:
    moved = copy.deepcopy(KAZAN)
    moved["timezone"] = "Asia/Vladivostok"
    with pytest.raises(ProvisioningError, match="Asia/Vladivostok has no phone representation"):
        build_phones(typed({"kazan": moved}), SETTINGS, SECRETS)
    unknown = copy.deepcopy(KAZAN)
    unknown["salons"][0]["phones"][0]["model"] = "T99X"
    with pytest.raises(ProvisioningError, match="T99X is not in the phone catalog"):
        build_phones(typed({"kazan": unknown}), SETTINGS, SECRETS)
    with pytest.raises(ProvisioningError, match="listed twice"):
        build_phones(typed({"kazan": KAZAN, "ufa": KAZAN}), SETTINGS, SECRETS)


def test_firmware_url_may_live_elsewhere() -> None:
    settings = {**SETTINGS, "firmware_url": "http://fw.example/pinned"}
    phone = build({"kazan": KAZAN}, settings)["c074ad000002"]
    assert (
        phone.provisioning.firmware_url == "http://fw.example/pinned/grandstream/GXP2130/1.0.11.79"
    )
    assert phone.provisioning.firmware_scheme == "http"
    assert (
        phone.provisioning.firmware_host_path == "fw.example/pinned/grandstream/GXP2130/1.0.11.79"
    )
