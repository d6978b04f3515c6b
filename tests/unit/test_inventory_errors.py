"""Malformed inventories: each is one small mutation of the production sample, and each must be
reported with its file, its key path and a specific message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from citypbx.inventory import Report

if TYPE_CHECKING:
    from conftest import InventoryCopy

KAZAN = "group_vars/city_kazan.yml"
KZ = "citypbx_city_kazan"
MOSCOW = "group_vars/city_moscow.yml"
MSK = "citypbx_city_moscow"
OPERATORS = "group_vars/all/operators.yml"
HOLIDAYS = "group_vars/all/holidays.yml"
HOSTS = "hosts.yml"
CITIES = "all.children.cities.children"


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[InventoryCopy], None]
    file: str
    path: str
    fragment: str


def kazan(path: str, value: object) -> Callable[[InventoryCopy], None]:
    return lambda inv: inv.set(KAZAN, f"{KZ}.{path}", value)


def kazan_delete(path: str) -> Callable[[InventoryCopy], None]:
    return lambda inv: inv.delete(KAZAN, f"{KZ}.{path}")


def error_lines(report: Report) -> list[str]:
    return [str(error) for error in report.errors]


def assert_reported(report: Report, file: str, path: str, fragment: str) -> None:
    prefix = f"{file}: {path}: "
    lines = error_lines(report)
    assert any(line.startswith(prefix) and fragment in line for line in lines), (
        f"expected {prefix}...{fragment}... in:\n" + "\n".join(lines)
    )


def _move_kazan_to_all(inv: InventoryCopy) -> None:
    inv.dump("group_vars/all/cities.yml", {KZ: inv.load(KAZAN)[KZ]})
    inv.remove(KAZAN)


def _add_city_without_group(inv: InventoryCopy) -> None:
    data = inv.load(KAZAN)[KZ]
    inv.dump("group_vars/city_tula.yml", {"citypbx_city_tula": data})


def _rename_city_group(inv: InventoryCopy) -> None:
    hosts = inv.load(HOSTS)
    hosts["all"]["children"]["cities"]["children"]["city_Tula"] = {
        "hosts": {"pbx1.citypbx.example": None}
    }
    inv.dump(HOSTS, hosts)


def _city_host_outside_pbx(inv: InventoryCopy) -> None:
    inv.set(HOSTS, f"{CITIES}.city_kazan.hosts", {"pbx9.citypbx.example": None})


def _hosts_as_list(inv: InventoryCopy) -> None:
    inv.set(HOSTS, f"{CITIES}.city_ufa.hosts", ["pbx1.citypbx.example"])


def _duplicate_yaml_key(inv: InventoryCopy) -> None:
    text = (inv.root / KAZAN).read_text()
    inv.write(KAZAN, text.replace("  name: Kazan\n", "  name: Kazan\n  name: Kazan City\n", 1))


def _clear_text_outside_models(inv: InventoryCopy) -> None:
    inv.dump("group_vars/pbx/ami.yml", {"asterisk_ami": {"user": "ops", "password": "s3cret"}})


def _defined_twice_in_group(inv: InventoryCopy) -> None:
    inv.dump("group_vars/all/more_holidays.yml", {"citypbx_holidays": ["2026-09-01"]})


CASES = [
    # ---- city ----------------------------------------------------------------------------------
    Case("city-unknown-key", kazan("timezon", "Europe/Moscow"), KAZAN, f"{KZ}.timezon",
         "unknown key (did you mean 'timezone'?)"),
    Case("city-missing-name", kazan_delete("name"), KAZAN, f"{KZ}.name",
         "required key is missing; add it"),
    Case("city-bad-timezone", kazan("timezone", "Europe/Kazan"), KAZAN, f"{KZ}.timezone",
         "'Europe/Kazan' is not an IANA time zone"),
    Case("city-short-area-code", kazan("area_code", "84"), KAZAN, f"{KZ}.area_code",
         "is not an area code (3 to 5 digits)"),
    Case("city-unquoted-area-code", kazan("area_code", 843), KAZAN, f"{KZ}.area_code",
         'expected a string, got number 843; quote it: "843"'),
    Case("city-caller-id-of-other-city", kazan("caller_id", "+74955550100"), KAZAN,
         f"{KZ}.caller_id", "+74955550100 is not a number of this city's trunks"),
    Case("city-emergency-trunk-elsewhere", kazan("emergency_trunk", "moscow-mts"), KAZAN,
         f"{KZ}.emergency_trunk", "'moscow-mts' is not a trunk of this city"),
    Case("city-no-trunks", kazan("trunks", []), KAZAN, f"{KZ}.trunks",
         "needs at least 1 item(s)"),
    Case("city-no-salons", kazan("salons", []), KAZAN, f"{KZ}.salons",
         "needs at least 1 item(s)"),
    Case("city-is-empty", lambda inv: inv.dump(KAZAN, {KZ: None}), KAZAN, KZ,
         "expected a mapping, got nothing (empty value)"),
    Case("city-trunks-mapping", kazan("trunks", {"id": "x"}), KAZAN, f"{KZ}.trunks",
         "expected a list, got a mapping"),
    # ---- trunks --------------------------------------------------------------------------------
    Case("trunk-bad-id", kazan("trunks[0].id", "Kazan_TT"), KAZAN, f"{KZ}.trunks[0].id",
         "'Kazan_TT' is not an id"),
    Case("trunk-id-not-unique", kazan("trunks[1].id", "moscow-mts"), MOSCOW,
         f"{MSK}.trunks[0].id",
         "trunk id moscow-mts is also used at group_vars/city_kazan.yml: "
         f"{KZ}.trunks[1].id"),
    Case("trunk-unknown-operator", kazan("trunks[0].operator", "tatelecom"), KAZAN,
         f"{KZ}.trunks[0].operator", "unknown operator 'tatelecom'"),
    Case("trunk-empty-contract", kazan("trunks[0].contract", " "), KAZAN,
         f"{KZ}.trunks[0].contract", "is empty; fill it in"),
    Case("trunk-duplicate-priority", kazan("trunks[1].priority", 1), KAZAN,
         f"{KZ}.trunks[1].priority", "priority 1 is already used by trunk kazan-tattelecom"),
    Case("trunk-no-primary", kazan("trunks[0].priority", 3), KAZAN, f"{KZ}.trunks",
         "no trunk has priority 1"),
    Case("trunk-priority-zero", kazan("trunks[0].priority", 0), KAZAN,
         f"{KZ}.trunks[0].priority", "0 is out of range; use a whole number 1 or more"),
    Case("trunk-bad-auth", kazan("trunks[0].auth", "digest"), KAZAN, f"{KZ}.trunks[0].auth",
         "string 'digest' is not allowed; use one of 'registration' or 'ip'"),
    Case("trunk-registration-without-password", kazan_delete("trunks[0].password"), KAZAN,
         f"{KZ}.trunks[0].password", "auth: registration needs password"),
    Case("trunk-ip-with-password",
         kazan("trunks[1].password", "{{ vault_trunk_kazan_tattelecom_password }}"), KAZAN,
         f"{KZ}.trunks[1].password", "auth: ip must not have a password"),
    Case("trunk-ip-without-match", kazan_delete("trunks[1].match"), KAZAN,
         f"{KZ}.trunks[1].match", "auth: ip needs match"),
    Case("trunk-match-host-bits", kazan("trunks[1].match[0]", "198.51.100.17/28"), KAZAN,
         f"{KZ}.trunks[1].match[0]", "has host bits set; did you mean 198.51.100.16/28?"),
    Case("trunk-match-not-network", kazan("trunks[1].match[0]", "198.51.100.0/33"), KAZAN,
         f"{KZ}.trunks[1].match[0]", "is not a network"),
    Case("trunk-bad-server", kazan("trunks[0].server", "sip..tattelecom.example"), KAZAN,
         f"{KZ}.trunks[0].server", "neither a host name nor an IP address"),
    Case("trunk-port-range", kazan("trunks[0].port", 70000), KAZAN, f"{KZ}.trunks[0].port",
         "70000 is out of range; use a whole number from 1 to 65535"),
    Case("trunk-port-string", kazan("trunks[0].port", "5060"), KAZAN, f"{KZ}.trunks[0].port",
         "expected an integer, got string '5060'"),
    Case("trunk-channels-range", kazan("trunks[0].channels", 1001), KAZAN,
         f"{KZ}.trunks[0].channels", "use a whole number from 1 to 1000"),
    Case("trunk-password-clear-text", kazan("trunks[0].password", "Tatar2026!"), KAZAN,
         f"{KZ}.trunks[0].password",
         "secret in clear text; use ansible-vault encrypt_string or a {{ vault_... }} reference"),
    # ---- numbers -------------------------------------------------------------------------------
    Case("number-not-e164", kazan("trunks[0].numbers[1].number", "84355550101"), KAZAN,
         f"{KZ}.trunks[0].numbers[1].number", "is not an E.164 number"),
    Case("number-russian-length", kazan("trunks[0].numbers[1].number", "+7843555010"), KAZAN,
         f"{KZ}.trunks[0].numbers[1].number",
         "Russian numbers are +7 followed by exactly 10 digits"),
    Case("number-unquoted", kazan("trunks[0].numbers[1].number", 78435550101), KAZAN,
         f"{KZ}.trunks[0].numbers[1].number", "quote it"),
    Case("number-owned-twice", kazan("trunks[1].numbers[0].number", "+74955550100"), MOSCOW,
         f"{MSK}.trunks[0].numbers[0].number",
         f"number +74955550100 is also used at {KAZAN}: {KZ}.trunks[1].numbers[0].number"),
    Case("number-bad-destination", kazan("trunks[0].numbers[0].destination", "sallon:x"),
         KAZAN, f"{KZ}.trunks[0].numbers[0].destination", "'sallon:x' is not a destination"),
    Case("number-unknown-salon", kazan("trunks[0].numbers[0].destination", "salon:kazan-x"),
         KAZAN, f"{KZ}.trunks[0].numbers[0].destination", "no salon 'kazan-x' in any city"),
    Case("number-unknown-voicemail", kazan("trunks[1].numbers[0].destination",
                                           "voicemail:kazan-x"),
         KAZAN, f"{KZ}.trunks[1].numbers[0].destination", "no salon 'kazan-x' in any city"),
    Case("number-unknown-extension", kazan("trunks[0].numbers[0].destination",
                                           "extension:9999"),
         KAZAN, f"{KZ}.trunks[0].numbers[0].destination", "no extension 9999 in any salon"),
    Case("number-record-not-bool", kazan("trunks[0].numbers[0].record", "yes"), KAZAN,
         f"{KZ}.trunks[0].numbers[0].record", "expected true or false, got string 'yes'"),
    # ---- salons --------------------------------------------------------------------------------
    Case("salon-id-not-unique", kazan("salons[1].id", "moscow-arbat"), MOSCOW,
         f"{MSK}.salons[1].id",
         f"salon id moscow-arbat is also used at {KAZAN}: {KZ}.salons[1].id"),
    Case("salon-caller-id-other-city", kazan("salons[0].caller_id", "+74955550110"), KAZAN,
         f"{KZ}.salons[0].caller_id", "is not a number of this city's trunks"),
    Case("salon-hours-format", kazan("salons[0].hours[0]", "mon-fri 9-20"), KAZAN,
         f"{KZ}.salons[0].hours[0]", "is not '<days> HH:MM-HH:MM'"),
    Case("salon-hours-reversed", kazan("salons[0].hours[0]", "mon-fri 20:00-09:00"), KAZAN,
         f"{KZ}.salons[0].hours[0]", "opening time is not before closing time"),
    Case("salon-hours-bad-time", kazan("salons[0].hours[0]", "mon 09:00-25:00"), KAZAN,
         f"{KZ}.salons[0].hours[0]", "25:00 is not a time"),
    Case("salon-hours-bad-day", kazan("salons[0].hours[0]", "mon-fry 09:00-18:00"), KAZAN,
         f"{KZ}.salons[0].hours[0]", "'mon-fry' is not a day or day range"),
    Case("salon-hours-backwards-range", kazan("salons[0].hours[0]", "fri-mon 09:00-18:00"),
         KAZAN, f"{KZ}.salons[0].hours[0]", "runs backwards"),
    Case("salon-holiday-not-real", kazan("salons[0].holidays[0]", "2026-02-30"), KAZAN,
         f"{KZ}.salons[0].holidays[0]", "'2026-02-30' is not a real date"),
    Case("salon-holiday-format", kazan("salons[0].holidays[0]", "30.08.2026"), KAZAN,
         f"{KZ}.salons[0].holidays[0]", "is not a date; write YYYY-MM-DD"),
    Case("salon-bad-distribution", kazan("salons[0].distribution", "roundrobin"), KAZAN,
         f"{KZ}.salons[0].distribution", "use one of 'ringall', 'hunt' or 'queue'"),
    Case("salon-ring-timeout", kazan("salons[0].ring_timeout", 3), KAZAN,
         f"{KZ}.salons[0].ring_timeout", "use a whole number from 5 to 300"),
    Case("salon-no-answer-self-loop", kazan("salons[1].no_answer", "salon:kazan-pushkina"),
         KAZAN, f"{KZ}.salons[1].no_answer", "sends calls back to this same salon (loop)"),
    Case("salon-after-hours-self-loop", kazan("salons[0].after_hours", "salon:kazan-baumana"),
         KAZAN, f"{KZ}.salons[0].after_hours", "sends calls back to this same salon (loop)"),
    Case("salon-after-hours-two-salon-loop",
         kazan("salons[0].after_hours", "salon:kazan-pushkina"), KAZAN,
         f"{KZ}.salons[0].after_hours",
         "after_hours loops: kazan-baumana -> kazan-pushkina -> kazan-baumana"),
    Case("salon-no-extensions", kazan("salons[0].extensions", []), KAZAN,
         f"{KZ}.salons[0].extensions", "needs at least 1 item(s)"),
    # ---- extensions ----------------------------------------------------------------------------
    Case("extension-leading-zero", kazan("salons[0].extensions[0].extension", "0101"), KAZAN,
         f"{KZ}.salons[0].extensions[0].extension", "4 digits, not starting with 0 or 8"),
    Case("extension-not-unique", lambda inv: inv.set(
        MOSCOW, f"{MSK}.salons[0].extensions[2].extension", "2101"), MOSCOW,
         f"{MSK}.salons[0].extensions[2].extension",
         f"extension 2101 is also used at {KAZAN}: {KZ}.salons[0].extensions[0].extension"),
    Case("extension-bad-cos", kazan("salons[0].extensions[0].cos", "world"), KAZAN,
         f"{KZ}.salons[0].extensions[0].cos", "use one of 'internal', 'local'"),
    Case("extension-secret-clear-text", kazan("salons[0].extensions[0].secret", "hunter2"),
         KAZAN, f"{KZ}.salons[0].extensions[0].secret", "secret in clear text"),
    Case("extension-secret-other-jinja",
         kazan("salons[0].extensions[0].secret", "{{ lookup('env', 'EXT_2101') }}"), KAZAN,
         f"{KZ}.salons[0].extensions[0].secret", "secret in clear text"),
    Case("extension-secret-undefined-vault",
         kazan("salons[0].extensions[0].secret", "{{ vault_ext_2101_secrte }}"), KAZAN,
         f"{KZ}.salons[0].extensions[0].secret", "vault_ext_2101_secrte is not defined"),
    # ---- phones --------------------------------------------------------------------------------
    Case("phone-bad-mac", kazan("salons[0].phones[0].mac", "80:5e:c0:43:21"), KAZAN,
         f"{KZ}.salons[0].phones[0].mac", "is not a MAC address"),
    Case("phone-mac-other-vendor", kazan("salons[0].phones[0].mac", "C0-74-AD-43-21-01"),
         KAZAN, f"{KZ}.salons[0].phones[0].mac",
         "MAC prefix c0:74:ad is a grandstream prefix, but vendor is yealink"),
    Case("phone-mac-unknown-oui", kazan("salons[0].phones[0].mac", "123456432101"), KAZAN,
         f"{KZ}.salons[0].phones[0].mac", "MAC prefix 12:34:56 is not a yealink prefix"),
    Case("phone-mac-not-unique", kazan("salons[1].phones[0].mac", "80-5E-C0-43-21-01"),
         KAZAN, f"{KZ}.salons[1].phones[0].mac",
         f"MAC 80:5e:c0:43:21:01 is also used at {KAZAN}: {KZ}.salons[0].phones[0].mac"),
    Case("phone-unknown-model", kazan("salons[0].phones[0].model", "T99X"), KAZAN,
         f"{KZ}.salons[0].phones[0].model", "unknown yealink model 'T99X'"),
    Case("phone-model-of-other-vendor", kazan("salons[0].phones[0].model", "GXP2160"), KAZAN,
         f"{KZ}.salons[0].phones[0].model", "GXP2160 is a grandstream phone"),
    Case("phone-bad-vendor", kazan("salons[0].phones[0].vendor", "cisco"), KAZAN,
         f"{KZ}.salons[0].phones[0].vendor", "use one of 'yealink' or 'grandstream'"),
    Case("phone-extension-of-other-salon", kazan("salons[0].phones[0].extension", "2201"),
         KAZAN, f"{KZ}.salons[0].phones[0].extension",
         "2201 is not an extension of salon kazan-baumana"),
    # ---- groups and placement ------------------------------------------------------------------
    Case("group-without-data", lambda inv: inv.remove("group_vars/city_samara.yml"), HOSTS,
         f"{CITIES}.city_samara",
         "city group has no data; define citypbx_city_samara in group_vars/city_samara.yml"),
    Case("data-without-group", _add_city_without_group, "group_vars/city_tula.yml",
         "citypbx_city_tula", "no group city_tula under 'cities' in hosts.yml"),
    Case("city-data-in-wrong-file", _move_kazan_to_all, "group_vars/all/cities.yml", KZ,
         "city data must be defined in group_vars/city_kazan.yml"),
    Case("city-group-bad-slug", _rename_city_group, HOSTS, f"{CITIES}.city_Tula",
         "a city group is named city_<slug>"),
    Case("city-host-outside-pbx", _city_host_outside_pbx, HOSTS,
         f'{CITIES}.city_kazan.hosts["pbx9.citypbx.example"]', "host is not in group pbx"),
    Case("hosts-as-list", _hosts_as_list, HOSTS, f"{CITIES}.city_ufa.hosts",
         "hosts must be a mapping"),
    Case("group-unknown-key", lambda inv: inv.set(HOSTS, f"{CITIES}.city_ufa.host", None),
         HOSTS, f"{CITIES}.city_ufa.host", "unknown key; a group has only hosts, children"),
    Case("variable-defined-twice", _defined_twice_in_group, "group_vars/all/more_holidays.yml",
         "citypbx_holidays", "also defined in group_vars/all/holidays.yml"),
    # ---- company-wide data ---------------------------------------------------------------------
    Case("operator-bad-codec",
         lambda inv: inv.set(OPERATORS, "citypbx_operators.mts.profile.codecs[0]", "g711"),
         OPERATORS, "citypbx_operators.mts.profile.codecs[0]", "string 'g711' is not allowed"),
    Case("operator-missing-profile",
         lambda inv: inv.delete(OPERATORS, "citypbx_operators.mts.profile"), OPERATORS,
         "citypbx_operators.mts.profile", "required key is missing"),
    Case("operator-bad-number-format",
         lambda inv: inv.set(OPERATORS, "citypbx_operators.mts.profile.number_format", "11d9"),
         OPERATORS, "citypbx_operators.mts.profile.number_format",
         "use one of 'e164', '11d8', '11d7' or '10d'"),
    Case("operators-undefined", lambda inv: inv.remove(OPERATORS), OPERATORS,
         "citypbx_operators", "not defined"),
    Case("holiday-bad-month", lambda inv: inv.set(HOLIDAYS, "citypbx_holidays[0]", "2026-13-01"),
         HOLIDAYS, "citypbx_holidays[0]", "'2026-13-01' is not a real date"),
    # ---- files and YAML ------------------------------------------------------------------------
    Case("yaml-syntax-error", lambda inv: inv.write(KAZAN, "citypbx_city_kazan:\n  name: [\n"),
         KAZAN, "(file)", "YAML syntax error at line"),
    Case("yaml-duplicate-key", _duplicate_yaml_key, KAZAN, f"{KZ}.name", "duplicate key"),
    Case("vars-file-is-a-list", lambda inv: inv.write(KAZAN, "- a\n- b\n"), KAZAN, "(file)",
         "a vars file must be a mapping of variable names"),
    Case("yaml-unknown-tag", lambda inv: inv.write(
        KAZAN, (inv.root / KAZAN).read_text().replace("name: Kazan", "name: !city Kazan", 1)),
         KAZAN, f"{KZ}.name", "could not determine a constructor for the tag '!city'"),
    Case("clear-text-outside-models", _clear_text_outside_models, "group_vars/pbx/ami.yml",
         "asterisk_ami.password", "secret in clear text"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_malformed_inventory_is_reported(inventory: InventoryCopy, case: Case) -> None:
    case.mutate(inventory)
    report = inventory.validate()
    assert not report.ok
    assert report.company is None
    assert_reported(report, case.file, case.path, case.fragment)


def test_there_are_many_distinct_cases() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 35


def test_several_errors_are_reported_together_and_sorted(inventory: InventoryCopy) -> None:
    inventory.set(KAZAN, f"{KZ}.trunks[0].port", 0)
    inventory.set(KAZAN, f"{KZ}.timezone", "Mars/Olympus")
    inventory.set(MOSCOW, f"{MSK}.salons[2].ring_timeout", 301)
    inventory.set(OPERATORS, "citypbx_operators.mts.profile.dtmf", "sip-info")
    report = inventory.validate()
    paths = [(error.file, error.path) for error in report.errors]
    assert paths == [
        (OPERATORS, "citypbx_operators.mts.profile.dtmf"),
        (KAZAN, f"{KZ}.timezone"),
        (KAZAN, f"{KZ}.trunks[0].port"),
        (MOSCOW, f"{MSK}.salons[2].ring_timeout"),
    ]


def test_secret_values_are_never_echoed(inventory: InventoryCopy) -> None:
    inventory.set(KAZAN, f"{KZ}.trunks[0].password", "Tatar2026!")
    inventory.set(KAZAN, f"{KZ}.salons[0].extensions[0].secret", 424242)
    text = "\n".join(error_lines(inventory.validate()))
    assert "Tatar2026" not in text
    assert "424242" not in text


def test_a_broken_city_does_not_hide_references_to_its_salons(inventory: InventoryCopy) -> None:
    # Moscow fails its model (bad time zone), but its salons are still known ids, so the
    # voicemail box that Kazan points to is not reported as missing.
    inventory.set(MOSCOW, f"{MSK}.timezone", "Moscow")
    inventory.set(KAZAN, f"{KZ}.trunks[1].numbers[0].destination", "voicemail:moscow-arbat")
    lines = error_lines(inventory.validate())
    assert lines == [
        f"{MOSCOW}: {MSK}.timezone: 'Moscow' is not an IANA time zone; "
        "use e.g. Europe/Moscow or Asia/Yekaterinburg"
    ]


def test_provisioning_secret_in_clear_text_is_refused(inventory: InventoryCopy) -> None:
    """A company secret outside the cities must be a vault reference too."""
    inventory.write(
        "group_vars/provisioning/provisioning.yml", "---\ncitypbx_provisioning_secret: hunter2\n"
    )
    assert [str(issue) for issue in inventory.validate().errors] == [
        "group_vars/provisioning/provisioning.yml: citypbx_provisioning_secret: secret in clear "
        "text; use ansible-vault encrypt_string or a {{ vault_... }} reference"
    ]


def test_phone_settings_errors_name_the_file_and_key(inventory: InventoryCopy) -> None:
    """citypbx_phone_settings is checked by the provisioning settings model."""
    inventory.set(
        "group_vars/provisioning/provisioning.yml", "citypbx_phone_settings.sip_transport", "sctp"
    )
    errors = [str(issue) for issue in inventory.validate().errors]
    assert len(errors) == 1
    assert errors[0].startswith(
        "group_vars/provisioning/provisioning.yml: citypbx_phone_settings.sip_transport:"
    )


def test_menu_destination_must_name_an_existing_menu(inventory: InventoryCopy) -> None:
    """menu:<id> resolves like any other destination."""
    inventory.set(
        "group_vars/city_kazan.yml",
        "citypbx_city_kazan.trunks[1].numbers[0].destination",
        "menu:kazan-nowhere",
    )
    assert [str(issue) for issue in inventory.validate().errors] == [
        "group_vars/city_kazan.yml: citypbx_city_kazan.trunks[1].numbers[0].destination: "
        "no menu 'kazan-nowhere' in any city; use an existing menu id"
    ]


def test_menu_keys_are_single_keys(inventory: InventoryCopy) -> None:
    """A menu option is one key of the phone's keypad."""
    inventory.set(
        "group_vars/city_kazan.yml", "citypbx_city_kazan.menus[0].options", {"12": "hangup"}
    )
    errors = [str(issue) for issue in inventory.validate().errors]
    assert len(errors) == 1
    assert "citypbx_city_kazan.menus[0].options" in errors[0]
    assert "a single key (0-9, * or #)" in errors[0]


@pytest.mark.parametrize("bad_id", [[], {}, ["kazan-main"], 5, None])
def test_unhashable_or_odd_ids_are_reported_not_crashed(
    inventory: InventoryCopy, bad_id: object
) -> None:
    """Found by the property test on a fresh machine: `menus[0].id: []` crashed the validator
    (ids of broken cities are collected into sets before the models run)."""
    for path in ("menus[0].id", "salons[0].id", "salons[0].extensions[0].extension"):
        inventory.set(KAZAN, f"{KZ}.{path}", bad_id)
        report = inventory.validate()
        assert any(f"{KZ}.{path}" in line for line in error_lines(report)), error_lines(report)
        inventory.set(KAZAN, f"{KZ}.{path}", "x")  # keep the copy broken only at one place
