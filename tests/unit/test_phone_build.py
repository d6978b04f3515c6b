"""citypbx.provisioning: from inventory data to the vendor-neutral phone, and its inputs."""

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
from citypbx.inventory.names import endpoint_name
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


def city(extensions: list[tuple[str, str]], phones: list[tuple[str, str, str]]) -> dict:
    """One city, one salon: extensions (number, name), phones (mac, model, extension)."""
    vendor = {"T": "yealink", "G": "grandstream"}
    return {
        "name": "Kazan",
        "timezone": "Europe/Moscow",
        "salons": [
            {
                "id": "kazan-baumana",
                "name": "Baumana",
                "extensions": [
                    {"extension": n, "name": name, "secret": f"secret-{n}", "cos": "local"}
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


def build(cities: dict[str, dict], settings: dict | None = None) -> dict[str, PhoneConfig]:
    phones = build_phones(sorted(cities.items()), settings or SETTINGS, SECRETS)
    return {phone.mac: phone for phone in phones}


def test_line_is_the_extension_as_asterisk_knows_it() -> None:
    phone = build({"kazan": KAZAN})["805ec0000001"]
    (line,) = phone.lines
    assert line.auth_user == line.user == endpoint_name("2101", "secret-2101")
    assert line.password == "secret-2101"
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
    assert {key.kind for key in phone.line_keys[3:]} == {"none"}
    assert [key.index for key in phone.line_keys] == list(range(1, 28))


def test_keys_stop_at_the_models_key_count() -> None:
    phone = build({"kazan": KAZAN})["c074ad000002"]
    assert [(k.kind, k.value) for k in phone.line_keys] == [  # GXP2130: 3 keys
        ("line", ""),
        ("blf", "2101"),
        ("speed_dial", "2103"),
    ]


def test_a_model_without_blf_gets_speed_dials() -> None:
    catalog = load_catalog()
    models = dict(catalog.models["yealink"])
    models["T46U"] = replace(models["T46U"], blf=False)
    patched = replace(catalog, models={**catalog.models, "yealink": models})
    (phone,) = [
        p for p in build_phones([("kazan", KAZAN)], SETTINGS, SECRETS, patched) if p.model == "T46U"
    ]
    assert phone.line_keys[1].kind == "speed_dial"


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
    files = render_cities({"kazan": odd}, SETTINGS, SECRETS)
    assert "<P3>Boris &amp; &lt;Co&gt;</P3>" in files["cfgc074ad000002.xml"]


def test_vault_references_are_resolved_from_secrets() -> None:
    ref = copy.deepcopy(KAZAN)
    ref["salons"][0]["extensions"][0]["secret"] = "{{ vault_ext_2101_secret }}"
    secrets = {**SECRETS, "vault": {"vault_ext_2101_secret": "from-the-vault"}}
    (phone,) = [p for p in build_phones([("kazan", ref)], SETTINGS, secrets) if p.model == "T46U"]
    assert phone.lines[0].password == "from-the-vault"
    with pytest.raises(ProvisioningError, match="no value for vault_ext_2101_secret"):
        build_phones([("kazan", ref)], SETTINGS, SECRETS)
    ref["salons"][0]["extensions"][0]["secret"] = VaultValue("$ANSIBLE_VAULT;1.1;AES256")
    with pytest.raises(ProvisioningError, match="inline !vault"):
        build_phones([("kazan", ref)], SETTINGS, SECRETS)


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
        build_phones([("kazan", KAZAN)], SETTINGS, secrets)


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
        build_phones([("kazan", moved)], SETTINGS, SECRETS)
    unknown = copy.deepcopy(KAZAN)
    unknown["salons"][0]["phones"][0]["model"] = "T99X"
    with pytest.raises(ProvisioningError, match="T99X is not in the phone catalog"):
        build_phones([("kazan", unknown)], SETTINGS, SECRETS)
    with pytest.raises(ProvisioningError, match="listed twice"):
        build_phones([("kazan", KAZAN), ("ufa", KAZAN)], SETTINGS, SECRETS)


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
