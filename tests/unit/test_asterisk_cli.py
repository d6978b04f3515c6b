"""citypbx.asterisk.cli: Asterisk 22's console output parsed into data.

The inputs under data/asterisk/ were captured from Asterisk 22.10.1 on the staging lab
(the pilot city rolled out; candidate_broken.log from throwaway instances that were given
a broken dialplan line and a PJSIP option Asterisk refuses).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citypbx.asterisk import cli

DATA = Path(__file__).resolve().parent / "data" / "asterisk"


def captured(name: str) -> str:
    return (DATA / name).read_text("utf-8")


def test_contexts_of_dialplan_show() -> None:
    contexts = cli.parse_contexts(captured("dialplan_show.txt"))
    assert {"citypbx-did-kazan", "citypbx-phones-kazan", "citypbx-from-operator"} <= contexts
    assert "citypbx-salon-kazan-baumana" in contexts
    assert all(not name.startswith(("[", " ")) for name in contexts)
    assert len(contexts) == captured("dialplan_show.txt").count("[ Context '")


def test_endpoints_of_pjsip_show_endpoints() -> None:
    endpoints = cli.parse_endpoints(captured("pjsip_show_endpoints.txt"))
    assert {"kazan-tattelecom", "kazan-rostelecom"} <= endpoints
    phones = sorted(e for e in endpoints if e[:4].isdigit())
    assert [p[:4] for p in phones] == ["2101", "2102", "2201", "2202"]
    # The header line (<Endpoint/CID...>) is not an endpoint.
    assert not any("<" in e or "/" in e for e in endpoints)


def test_registrations_with_their_state() -> None:
    assert cli.parse_registrations(captured("pjsip_show_registrations.txt")) == {
        "kazan-tattelecom": "Unregistered"
    }


def test_custom_device_states_with_their_state() -> None:
    # Captured on the calls lab with ufa-open closed by its night code.
    assert cli.parse_devstates(captured("devstate_list.txt")) == {
        "Custom:citypbx-night-kazan-center": "NOT_INUSE",
        "Custom:citypbx-night-ufa-open": "INUSE",
    }
    assert cli.parse_devstates("") == {}


def test_modules_with_their_status() -> None:
    modules = cli.parse_modules(captured("module_show.txt"))
    assert modules["res_pjsip.so"] == "Running"
    assert modules["chan_pjsip.so"] == "Running"
    assert "chan_sip.so" not in modules
    assert all(name.endswith(".so") for name in modules)


def test_nothing_is_found_in_an_empty_or_foreign_answer() -> None:
    for text in ("", "No such command 'pjsip show endpoints'", "Unable to connect to remote"):
        assert cli.parse_endpoints(text) == frozenset()
        assert cli.parse_contexts(text) == frozenset()
        assert cli.parse_registrations(text) == {}


def test_config_problems_are_asterisks_own_lines() -> None:
    problems = cli.config_problems(captured("candidate_broken.log"))
    sources = [p.source for p in problems]
    assert sources == ["pbx_config.c", "config_options.c", "res_sorcery_config.c"]
    assert "Can't use 'next' priority on the first entry" in problems[0].text
    assert "'kazan-tattelecom'" in problems[2].text
    assert problems[2].line.startswith("[2026-12-02 ")


def test_benign_boot_warnings_and_notices_are_not_problems() -> None:
    text = captured("candidate_broken.log")
    assert "users.conf is deprecated" in text
    assert not any("users.conf" in p.text for p in cli.config_problems(text))
    assert not any(p.level == "NOTICE" for p in cli.config_problems(text))


@pytest.mark.parametrize(
    "line",
    [
        "[Dec  2 06:29:52] ERROR[1854] res_config_ldap.c: No directory URL or host found.",
        "[2026-12-02 06:34:14.579] WARNING[2448] res_pjsip_outbound_registration.c: No response",
        "[Dec  2 06:29:52] ERROR[1854] cdrel_custom/config.c: Unable to load cel_sqlite3.conf",
    ],
)
def test_log_lines_of_both_date_formats_and_nested_sources(line: str) -> None:
    parsed = cli.parse_log(line)
    assert len(parsed) == 1
    assert parsed[0].line == line


def test_missing_objects_are_named_with_their_city() -> None:
    loaded = cli.Loaded(
        contexts=frozenset({"citypbx-did-kazan"}),
        endpoints=frozenset({"kazan-rostelecom"}),
        registrations={},
    )
    expected = [
        cli.Expectation(
            "kazan",
            contexts=("citypbx-did-kazan", "citypbx-phones-kazan"),
            endpoints=("kazan-rostelecom", "kazan-tattelecom"),
            registrations=("kazan-tattelecom",),
        )
    ]
    assert cli.missing(loaded, expected) == [
        "kazan: context citypbx-phones-kazan",
        "kazan: endpoint kazan-tattelecom",
        "kazan: registration kazan-tattelecom",
    ]


def test_transports_with_protocol_and_bind_address() -> None:
    transports = cli.parse_transports(captured("operator_pjsip_show_transports.txt"))
    assert [(t.name, t.protocol, t.bind) for t in transports] == [
        ("lab-udp-127-0-0-41", "udp", "127.0.0.41:5060"),
        ("lab-udp-127-0-0-42", "udp", "127.0.0.42:5060"),
        ("transport-udp", "udp", "127.0.0.40:5060"),
    ]


def test_contacts_by_aor_with_their_status() -> None:
    assert cli.parse_contacts(captured("operator_pjsip_show_contacts.txt")) == {
        "lab-to-pbx-127-0-0-41": "NonQual"
    }


def test_version_of_core_show_version() -> None:
    assert cli.parse_version(captured("core_show_version.txt")) == "22.10.1+dfsg+~cs6.17.60671434-1"
    assert cli.parse_version("Unable to connect to remote asterisk") == ""


def test_on_a_live_pbx_only_the_configurations_errors_count() -> None:
    """A busy PBX logs call errors during the probe: they are not a broken release."""
    call_error = (
        "[2026-12-02 07:00:00.100] ERROR[77][C-00000001] res_rtp_asterisk.c: RTP Read error"
    )
    refused = next(
        line for line in captured("candidate_broken.log").splitlines() if "config_options.c" in line
    )
    text = f"{call_error}\n{refused}\n"
    assert [p.source for p in cli.config_problems(text)] == [
        "res_rtp_asterisk.c",
        "config_options.c",
    ]
    assert [p.source for p in cli.config_problems(text, any_error=False)] == ["config_options.c"]
