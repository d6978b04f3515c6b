"""Behaviour of the `asterisk` role's default scenario, checked on the real container.

The container shares the host's network, so the SIP checks below are made
from this test process as a stranger on the network would make them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "lab"))
import sipprobe

BIND = "127.0.0.11"
PORT = 5060
CONFIG_FILES = [
    "asterisk.conf",
    "modules.conf",
    "pjsip.conf",
    "pjsip_transports.conf",
    "extensions.conf",
    "logger.conf",
    "rtp.conf",
    "cdr.conf",
    "cdr_sqlite3_custom.conf",
    "manager.conf",
    "http.conf",
    "pjsip_notify.conf",
    "queues.conf",
    "voicemail.conf",
]


def eventually(host, condition: str, seconds: int = 10) -> bool:
    """True once the shell CONDITION holds on the host, polled every half second."""
    loop = f"for i in $(seq 1 {seconds * 2}); do {condition} && exit 0; sleep 0.5; done; exit 1"
    return host.run(loop).rc == 0


def cli(host, command: str) -> str:
    result = host.run("asterisk -rx %s", command)
    assert result.rc == 0, result.stderr
    return result.stdout


def test_asterisk_22_is_installed(host):
    assert host.run("asterisk -V").stdout.startswith("Asterisk 22.")
    assert cli(host, "core show version").startswith("Asterisk 22.")


def test_service_is_enabled_and_running(host):
    service = host.service("asterisk")
    assert service.is_enabled
    assert service.is_running


@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_sip_listens_on_the_configured_address_only(host, protocol):
    assert host.socket(f"{protocol}://{BIND}:{PORT}").is_listening
    assert not host.socket(f"{protocol}://0.0.0.0:{PORT}").is_listening


def test_pjsip_transports_are_as_configured(host):
    out = cli(host, "pjsip show transports")
    for protocol in ("udp", "tcp"):
        line = next(line for line in out.splitlines() if f"transport-{protocol} " in line)
        assert protocol in line
        assert f"{BIND}:{PORT}" in line


def test_no_chan_sip_and_nothing_autoloaded(host):
    assert "0 modules loaded" in cli(host, "module show like chan_sip.so")
    assert "1 modules loaded" in cli(host, "module show like chan_pjsip.so")
    assert "0 modules loaded" in cli(host, "module show like chan_iax2.so")
    assert "0 modules loaded" in cli(host, "module show like res_ari.so")
    assert "autoload = no" in host.file("/etc/asterisk/modules.conf").content_string


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_config_files_are_private_to_asterisk(host, name):
    config = host.file(f"/etc/asterisk/{name}")
    assert config.user == "asterisk"
    assert config.group == "asterisk"
    assert config.mode == 0o640
    assert config.content_string.startswith("; Managed by citypbx")


def test_rtp_range_is_rendered(host):
    rtp = host.file("/etc/asterisk/rtp.conf").content_string
    assert "rtpstart = 10000" in rtp
    assert "rtpend = 20000" in rtp


def test_cdr_store_has_the_tag_columns_and_records_calls(host):
    cli(host, "channel originate Local/5555@default application Wait 1")
    query = "sqlite3 /var/log/asterisk/master.db \"select count(*) from cdr where dst='5555'\""
    assert eventually(host, f"{query} | grep -qv '^0$'"), "the call left no CDR row"
    schema = host.run("sqlite3 /var/log/asterisk/master.db 'pragma table_info(cdr)'")
    columns = {line.split("|")[1] for line in schema.stdout.splitlines()}
    assert {"city", "salon", "number", "trunk", "direction", "calldate", "billsec"} <= columns
    rows = host.run(
        "sqlite3 /var/log/asterisk/master.db \"select dcontext from cdr where dst='5555'\""
    )
    assert "default" in rows.stdout.split()


@pytest.mark.parametrize("name", ["master.db", "messages.log", "security.log"])
def test_call_records_and_logs_are_not_world_readable(host, name):
    record = host.file(f"/var/log/asterisk/{name}")
    assert record.user == "asterisk"
    assert record.mode & 0o007 == 0


def test_unknown_user_is_challenged_then_refused_without_a_hint():
    first = sipprobe.request("REGISTER", (BIND, PORT), "nobody-here")
    assert first[0].status == 401
    assert "www-authenticate" in first[0].headers
    guessed = sipprobe.request("REGISTER", (BIND, PORT), "nobody-here", password="guess")
    assert [r.status for r in guessed] in ([401, 401], [401, 403])


def test_anonymous_call_gets_no_service():
    responses = sipprobe.request("INVITE", (BIND, PORT), "5555")
    assert responses[0].status in (401, 403)


def test_server_header_does_not_reveal_the_version():
    responses = sipprobe.request("OPTIONS", (BIND, PORT), "nobody-here")
    server = responses[0].headers.get("server", "") + responses[0].headers.get("user-agent", "")
    assert "Asterisk" not in server
    assert "22." not in server


def test_security_events_are_logged(host):
    sipprobe.request("REGISTER", (BIND, PORT), "intruder", password="guess")
    assert eventually(host, "grep -q intruder /var/log/asterisk/security.log"), (
        "failed authentication did not reach security.log"
    )
