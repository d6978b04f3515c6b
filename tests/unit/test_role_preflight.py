"""The roles' preflight checks run on the controller before anything is touched and report
every problem at once, each with its fix (run here through ansible-playbook, no host)."""

from __future__ import annotations

from pathlib import Path

from module_runner import run_playbook


def run_preflight(tmp_path: Path, role: str, variables: dict[str, object]) -> str:
    play = {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": variables,
        "tasks": [{"ansible.builtin.include_role": {"name": role, "tasks_from": "preflight.yml"}}],
    }
    return run_playbook([play], tmp_path, "localhost,")


def test_every_problem_of_the_asterisk_inputs_is_reported_at_once(tmp_path: Path) -> None:
    output = run_preflight(
        tmp_path,
        "asterisk",
        {
            "_asterisk_host": {"os": {"ID": "ubuntu", "VERSION_ID": "24.04",
                                      "PRETTY_NAME": "Ubuntu 24.04 LTS"}},
            "asterisk_sip_bind_address": "pbx.example",
            "asterisk_rtp_port_start": 5000,
            "asterisk_rtp_port_end": 6000,
            "asterisk_package_version": "1:20.5.0-1",
            "asterisk_extra_modules": ["app_echo.so", "chan_sip.so"],
        },
    )  # fmt: skip
    assert "failed=1" in output, output
    for expected in (
        "runs Ubuntu 24.04 LTS; the `debian_sid` install method supports Debian 13",
        'asterisk_sip_bind_address is "pbx.example"',
        "RTP range 5000-6000 is invalid",
        "asterisk_package_version 1:20.5.0-1 is not an Asterisk 22 package",
        "legacy channel driver (chan_sip.so)",
    ):
        assert expected in output, expected


def test_a_good_asterisk_host_passes(tmp_path: Path) -> None:
    output = run_preflight(
        tmp_path,
        "asterisk",
        {
            "_asterisk_host": {"os": {"ID": "debian", "VERSION_ID": "13"}},
            "asterisk_sip_bind_address": "192.0.2.10",
        },
    )
    assert "failed=0" in output, output


def test_a_host_without_os_release_is_refused(tmp_path: Path) -> None:
    """Fail closed: an OS the state module could not read is not Debian 13."""
    output = run_preflight(
        tmp_path,
        "asterisk",
        {"_asterisk_host": {"os": {}}, "asterisk_sip_bind_address": "192.0.2.10"},
    )
    assert "failed=1" in output, output
    assert "an OS without /etc/os-release" in output


def test_every_problem_of_the_city_inputs_is_reported_at_once(tmp_path: Path) -> None:
    output = run_preflight(
        tmp_path,
        "asterisk_city",
        {
            "group_names": ["pbx", "city_kazan"],
            "asterisk_city_only": "ufa",
            "asterisk_transports": ["transport-tcp"],
            "asterisk_service_account": {"user": "asterisk", "group": "asterisk"},
            "asterisk_city_releases_keep": 1,
        },
    )
    assert "failed=1" in output, output
    for expected in (
        'City "ufa" is not served by localhost (it serves: kazan)',
        'asterisk_city_transport is "transport-udp", but the asterisk role created transport-tcp',
        "asterisk_city_releases_keep is 1; keep at least 2",
    ):
        assert expected in output, expected
