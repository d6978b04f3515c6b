"""Asterisk 22 CLI output parsed into data: what a live (or candidate) Asterisk loaded.

Standard library only: this file is also shipped to the PBX as Ansible module_utils
(plugins/module_utils/citypbx_asterisk_cli.py links here), where the citypbx package is
not installed. Unit-tested against output captured from Asterisk 22.10
(tests/unit/data/asterisk/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# `[ Context 'citypbx-did-kazan' created by 'pbx_config' ]`
_CONTEXT = re.compile(r"^\[ Context '(?P<name>[^']+)' created by '(?P<registrar>[^']+)' \]")
# ` Endpoint:  kazan-tattelecom                                     Not in use    0 of inf`
_ENDPOINT = re.compile(r"^ Endpoint:\s+(?P<name>[^\s/<]+)(?:/\S*)?\s{2,}(?P<state>\S.*?)\s{2,}")
# ` kazan-tattelecom/sip:127.0.0.20:5060                    kazan-tattelecom-auth Registered`
_REGISTRATION = re.compile(r"^ (?P<name>[^\s/]+)/(?P<uri>\S+)\s+(?P<auth>\S+)\s+(?P<state>\S+)")
# `Transport:  transport-udp             udp      0      0  127.0.0.10:5060`
_TRANSPORT = re.compile(
    r"^Transport:\s+(?P<name>[^\s<]\S*)\s+(?P<protocol>\S+)\s+\d+\s+\d+\s+(?P<bind>\S+)\s*$"
)
# `  Contact:  2101-bd0c4bfb63/sip:2101-...@127.0.0.131:5060  7f938a7a49 Avail   12.345`
_CONTACT = re.compile(
    r"^\s+Contact:\s+(?P<aor>[^\s/<]+)/(?P<uri>\S+)\s+(?P<hash>[0-9a-f]+)\s+(?P<status>\S+)"
)
# `Asterisk 22.10.1+dfsg+~cs6.17.60671434-1 built by nobody @ ...`
_VERSION = re.compile(r"^Asterisk (?P<version>\S+)")
# `res_pjsip.so                   Basic SIP resource           Running  core  22.10.1`
_MODULE = re.compile(r"^(?P<name>\S+\.so)\s+.*?\s(?P<status>Running|Not Running|Declined)\s")
# A log line of Asterisk's own: `[2026-12-02 07:30:00.123] ERROR[1234] file.c: message`
_LOG = re.compile(
    r"^\[(?P<time>[^\]]+)\]\s+(?P<level>ERROR|WARNING|NOTICE)\[(?P<thread>\d+)\]"
    r"(?:\[(?P<callid>[^\]]+)\])?:?\s+(?P<source>[\w./-]+\.c)(?::\s*\d+\s+\S+)?:\s*(?P<text>.*)$"
)


@dataclass(frozen=True)
class LogLine:
    level: str
    source: str  # the C file that logged it, e.g. res_sorcery_config.c
    text: str
    line: str  # the whole line, as Asterisk wrote it


@dataclass(frozen=True)
class Loaded:
    """What an Asterisk instance has loaded, from its CLI."""

    contexts: frozenset[str] = field(default_factory=frozenset)
    endpoints: frozenset[str] = field(default_factory=frozenset)
    registrations: dict[str, str] = field(default_factory=dict)  # name -> state
    modules: dict[str, str] = field(default_factory=dict)  # name -> Running / Not Running


def parse_contexts(output: str) -> frozenset[str]:
    """Context names from `dialplan show`."""
    return frozenset(
        match["name"] for line in output.splitlines() if (match := _CONTEXT.match(line))
    )


def parse_endpoints(output: str) -> frozenset[str]:
    """Endpoint names from `pjsip show endpoints`."""
    return frozenset(
        match["name"] for line in output.splitlines() if (match := _ENDPOINT.match(line))
    )


def parse_registrations(output: str) -> dict[str, str]:
    """Outbound registration name -> state (Registered, Rejected, ...) from
    `pjsip show registrations`."""
    found = {}
    for line in output.splitlines():
        if line.startswith(" <") or "Objects found" in line:
            continue
        match = _REGISTRATION.match(line)
        if match:
            found[match["name"]] = match["state"]
    return found


def parse_modules(output: str) -> dict[str, str]:
    """Module file -> status from `module show`."""
    return {
        match["name"]: match["status"]
        for line in output.splitlines()
        if (match := _MODULE.match(line))
    }


_DEVSTATE = re.compile(r"^--- Name: '(?P<name>[^']+)'\s+State: '(?P<state>[A-Z_]+)'")


def parse_devstates(output: str) -> dict[str, str]:
    """Custom device state -> state (NOT_INUSE, INUSE, ...) from `devstate list`."""
    return {
        match["name"]: match["state"]
        for line in output.splitlines()
        if (match := _DEVSTATE.match(line.strip()))
    }


@dataclass(frozen=True)
class Transport:
    name: str
    protocol: str
    bind: str  # address:port as Asterisk bound it


def parse_transports(output: str) -> list[Transport]:
    """Transports from `pjsip show transports`, in Asterisk's order."""
    return [
        Transport(match["name"], match["protocol"], match["bind"])
        for line in output.splitlines()
        if (match := _TRANSPORT.match(line))
    ]


def parse_contacts(output: str) -> dict[str, str]:
    """AOR -> status (Avail, NonQual, Unavail, ...) from `pjsip show contacts`; an AOR with
    several contacts is Avail when one of them is."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        match = _CONTACT.match(line)
        if match and found.get(match["aor"]) != "Avail":
            found[match["aor"]] = match["status"]
    return found


def parse_version(output: str) -> str:
    """`22.10.1+dfsg+...` from `core show version`; "" when Asterisk did not answer."""
    match = _VERSION.match(output.strip())
    return match["version"] if match else ""


# Sources whose warnings mean a configuration file was not taken as written.
CONFIG_SOURCES = frozenset(
    {
        "config.c",
        "pbx_config.c",
        "res_sorcery_config.c",
        "res_pjsip.c",
        "config_options.c",
        "app_queue.c",
        "app_voicemail.c",
        "pbx.c",
    }
)


# Warnings every boot and reload of the kit's configuration logs, none of them about a file
# the kit renders: Debian's package ships users.conf, which pbx_config still reads.
BENIGN = (re.compile(r"users\.conf is deprecated"),)


def _config_source(source: str) -> bool:
    """A configuration parser, also where Asterisk 22 logs a subdirectory path
    (`res_pjsip/config_transport.c`, `cdrel_custom/config.c`)."""
    name = source.rsplit("/", 1)[-1]
    return (
        source in CONFIG_SOURCES
        or name in CONFIG_SOURCES
        or source.startswith("res_pjsip/")
        or name.startswith("config")
    )


def parse_log(text: str) -> list[LogLine]:
    """Every ERROR / WARNING / NOTICE line of an Asterisk log file."""
    lines = []
    for raw in text.splitlines():
        match = _LOG.match(raw)
        if match:
            lines.append(LogLine(match["level"], match["source"], match["text"], raw))
    return lines


def config_problems(text: str, *, any_error: bool = True) -> list[LogLine]:
    """Log lines that say a configuration was refused: every ERROR (or, with `any_error`
    false, for a live PBX whose calls log errors of their own, the ERRORs of the
    configuration parsers only), and the parsers' WARNINGs (a bad dialplan line is only a
    WARNING of pbx_config.c)."""
    return [
        line
        for line in parse_log(text)
        if (
            (line.level == "ERROR" and (any_error or _config_source(line.source)))
            or (line.level == "WARNING" and _config_source(line.source))
        )
        and not any(pattern.search(line.text) for pattern in BENIGN)
    ]


@dataclass(frozen=True)
class Expectation:
    """What one city needs loaded (from its plan)."""

    city: str
    contexts: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    registrations: tuple[str, ...] = ()


def missing(loaded: Loaded, expected: list[Expectation]) -> list[str]:
    """One line per missing object, naming its city: `kazan: endpoint kazan-tattelecom`."""
    lines = []
    for city in expected:
        lines += [f"{city.city}: context {c}" for c in city.contexts if c not in loaded.contexts]
        lines += [f"{city.city}: endpoint {e}" for e in city.endpoints if e not in loaded.endpoints]
        lines += [
            f"{city.city}: registration {r}"
            for r in city.registrations
            if r not in loaded.registrations
        ]
    return lines
