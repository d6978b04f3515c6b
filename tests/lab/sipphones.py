"""Desk phones and their calls, played by SIPp (scenarios in lab/sipp/), for real-call tests.

A `Phone` is one SIPp process bound to the phone's own loopback address and port: it
registers with the extension's credentials (Contact = that address:port, refreshed every
minute), answers the PBX's OPTIONS, and answers (`mode="answer"`, after ringing 1 s), only
rings (`mode="ring"`), answers and blind-transfers the caller to `target` (`mode="transfer"`,
a REFER) or forwards the call to `target` (`mode="forward"`, a 302) when the PBX calls it.
`place_call` / `OutgoingCall` make a phone dial a number with digest authentication and
hold the call, pressing keys once it is answered if asked to (RFC 4733 events in a
capture written for the call, replayed by SIPp).

Every process has a deadline (SIPp's -timeout) and is stopped by `stop()` (the pytest
fixtures call it); what happened is read back from SIPp's message trace.
"""

from __future__ import annotations

import itertools
import re
import shutil
import struct
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Literal

from labsecrets import REPO_ROOT, LabExtension
from labshell import Shell, asterisk, run

SIPP_DIR = REPO_ROOT / "lab" / "sipp"
SIPP = "sipp"
PhoneMode = Literal["answer", "ring", "transfer", "attended", "forward"]
# What a phone does with an INVITE: the out-of-call scenario of its SIPp process.
_MODE_SCENARIOS: dict[str, str] = {
    "answer": "phone-answer.xml",  # rings 1 s, answers, stays until BYE
    "ring": "phone-ring.xml",  # rings until cancelled
    "transfer": "phone-transfer.xml",  # answers, then REFERs the caller to `target`
    "attended": "phone-attended.xml",  # answers, calls `target`, then REFERs with Replaces
    "forward": "phone-forward.xml",  # 302 to `target`
}
_TRACE_SEPARATOR = re.compile(r"^-{40,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$", re.MULTILINE)
_DIRECTION = re.compile(r"^\w+ message (sent|received)")
# RTP ports of SIPp's media echo: one range for the phones' own (answering) side, and
# a counter for the calls they place, so that no two SIPp processes share one.
PHONE_MEDIA_PORT = 16000
_call_media_ports = itertools.count(16100, 4)
_HOLD = "  <!-- Hold the call for -d milliseconds. -->\n  <pause/>\n"
DTMF_PAYLOAD_TYPE = 101  # telephone-event, as the phones' SDP offers it (lab/sipp/*.xml)
_DTMF_PACKET = 0.02  # seconds of one RTP packet of an event
_DTMF_TONE, _DTMF_GAP = 0.2, 0.3  # seconds a key is held, and between two keys


def dtmf_capture(keys: str, path: Path, ssrc: int = 0x0C17B6B5) -> float:
    """Write RFC 4733 events for KEYS (digits, * and #) as a capture SIPp replays
    (play_pcap_audio rewrites addresses and ports, not sequence numbers or timestamps, so
    every event of one call must come from one capture). Returns its length in seconds."""
    events = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
    frames: list[tuple[float, bytes]] = []
    now, seq, stamp = 0.0, 1, 8000
    for key in keys:
        if key not in events:
            raise ValueError(f"no DTMF event for key {key!r}")
        steps = int(_DTMF_TONE / _DTMF_PACKET)
        for step in range(steps + 3):  # the last three: the end of the event, repeated
            end = step >= steps
            duration = min(step + 1, steps) * 160
            header = struct.pack(
                "!BBHII", 0x80, (0x80 if step == 0 else 0) | DTMF_PAYLOAD_TYPE, seq, stamp, ssrc
            )
            body = struct.pack("!BBH", events[key], (0x80 if end else 0) | 10, duration)
            frames.append((now, header + body))
            seq += 1
            now += _DTMF_PACKET
        stamp += int((_DTMF_TONE + _DTMF_GAP) * 8000)
        now += _DTMF_GAP
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # Ethernet
        for when, rtp in frames:
            udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
            ip = struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]),
            ) + udp  # fmt: skip
            frame = b"\x00" * 12 + b"\x08\x00" + ip
            seconds = int(when)
            out.write(
                struct.pack("<IIII", seconds, int((when - seconds) * 1e6), len(frame), len(frame))
            )
            out.write(frame)
    return now


def keys_scenario(keys: str, workdir: Path, serial: int, *, first: float) -> Path:
    """call.xml with KEYS pressed once the call is answered, after FIRST seconds; a ',' in
    KEYS is a pause of FIRST seconds. The call is held for -d milliseconds after that."""
    steps = [f'  <pause milliseconds="{int(first * 1000)}"/>']
    for index, group in enumerate(keys.split(",")):
        if index:
            steps.append(f'  <pause milliseconds="{int(first * 1000)}"/>')
        if not group:
            continue
        capture = workdir / f"dtmf-{serial}-{index}.pcap"
        seconds = dtmf_capture(group, capture)
        steps.append(f'  <nop><action><exec play_pcap_audio="{capture}"/></action></nop>')
        steps.append(f'  <pause milliseconds="{int(seconds * 1000) + 100}"/>')  # it plays on
    text = (SIPP_DIR / "call.xml").read_text()
    if _HOLD not in text:
        raise RuntimeError("lab/sipp/call.xml has no hold pause to press keys before")
    scenario = workdir / f"call-keys-{serial}.xml"
    scenario.write_text(text.replace(_HOLD, "\n".join(steps) + "\n" + _HOLD))
    return scenario


def require_sipp() -> str:
    """Path of the sipp binary; a clear error when the Debian package is missing."""
    path = shutil.which(SIPP)
    if path is None:
        raise RuntimeError("sipp is not installed: apt-get install -y sip-tester")
    return path


# ---- SIPp's message trace -------------------------------------------------------------------


@dataclass(frozen=True)
class SipMessage:
    """One SIP message a SIPp process sent or received, with the time it logged it."""

    time: float
    direction: Literal["sent", "received"]
    text: str = field(repr=False)

    @property
    def first_line(self) -> str:
        """Request line or status line."""
        return self.text.split("\n", 1)[0].strip()

    @property
    def method(self) -> str:
        """Request method ('' for a response)."""
        return "" if self.first_line.startswith("SIP/2.0") else self.first_line.split(" ", 1)[0]

    @property
    def status(self) -> int:
        """Response status code (0 for a request)."""
        parts = self.first_line.split(" ", 2)
        return int(parts[1]) if self.first_line.startswith("SIP/2.0") else 0

    @property
    def request_user(self) -> str:
        """User part of a request's URI."""
        match = re.match(r"\S+ sips?:([^@;> ]+)@", self.first_line)
        return match.group(1) if match else ""

    def header(self, name: str) -> str:
        """Value of the first header NAME ('' when absent); compact forms are not expanded."""
        head = self.text.split("\n\n", 1)[0]
        for line in head.splitlines()[1:]:
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() == name.lower():
                return value.strip()
        return ""

    @property
    def call_id(self) -> str:
        """Call-ID header."""
        return self.header("Call-ID")

    @property
    def cseq_method(self) -> str:
        """Method named in CSeq (the request a response answers)."""
        return self.header("CSeq").split()[-1] if self.header("CSeq") else ""


def parse_trace(path: Path) -> list[SipMessage]:
    """Messages of a SIPp `-trace_msg` file, in order ([] while it does not exist)."""
    if not path.exists():
        return []
    content = path.read_text(errors="replace").replace("\r\n", "\n")
    parts = _TRACE_SEPARATOR.split(content)
    messages = []
    # parts: [before, stamp, block, stamp, block, ...]
    for stamp, block in zip(parts[1::2], parts[2::2], strict=True):
        lines = block.strip("\n").split("\n", 1)
        direction = _DIRECTION.match(lines[0])
        if direction is None or len(lines) < 2:
            continue
        when = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
        kind: Literal["sent", "received"] = "sent" if direction.group(1) == "sent" else "received"
        messages.append(SipMessage(when, kind, lines[1].strip("\n")))
    return messages


@dataclass(frozen=True)
class PhoneCall:
    """What one phone saw of one call the PBX offered it (one INVITE dialog)."""

    call_id: str
    messages: tuple[SipMessage, ...]

    @property
    def invite(self) -> SipMessage:
        """The INVITE the phone received."""
        return next(m for m in self.messages if m.method == "INVITE")

    @property
    def started(self) -> float:
        """When the INVITE arrived."""
        return self.invite.time

    @property
    def answered(self) -> bool:
        """The phone answered (sent 200 to the INVITE)."""
        return any(
            m.direction == "sent" and m.status == 200 and m.cseq_method == "INVITE"
            for m in self.messages
        )

    @property
    def cancelled(self) -> SipMessage | None:
        """The CANCEL the PBX sent (it stopped ringing this phone), if any."""
        return next((m for m in self.messages if m.method == "CANCEL"), None)

    @property
    def bye(self) -> SipMessage | None:
        """The BYE the PBX sent (the other side hung up), if any."""
        return next((m for m in self.messages if m.method == "BYE"), None)

    @property
    def caller_name(self) -> str:
        """Display name of the INVITE's From header: what the phone's screen shows."""
        match = re.match(r'\s*"([^"]*)"', self.invite.header("From"))
        return match.group(1) if match else ""


def group_calls(messages: Iterable[SipMessage], since: float = 0.0) -> list[PhoneCall]:
    """Calls (INVITE dialogs) in MESSAGES whose INVITE arrived at or after SINCE."""
    by_call: dict[str, list[SipMessage]] = {}
    for message in messages:
        by_call.setdefault(message.call_id, []).append(message)
    calls = [
        PhoneCall(call_id, tuple(items))
        for call_id, items in by_call.items()
        if any(m.method == "INVITE" and m.direction == "received" for m in items)
    ]
    return sorted((c for c in calls if c.started >= since), key=lambda c: c.started)


# ---- processes --------------------------------------------------------------------------------


def _stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def _start(argv: list[str], workdir: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    # argv is built here from fixed options and test data; no shell is involved.
    return subprocess.Popen(  # noqa: S603
        argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
    )


@dataclass
class Phone:
    """A desk phone: one SIPp process registered as EXTENSION from ADDRESS:PORT."""

    extension: LabExtension
    address: str
    pbx: tuple[str, int]
    workdir: Path
    mode: PhoneMode = "answer"
    port: int = 5060
    lifetime: float = 1800.0
    password: str | None = None  # the extension's secret unless a test wants a wrong one
    target: str = ""  # what a "transfer" or "forward" phone sends the caller to
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def trace(self) -> Path:
        """SIPp's message trace of this phone."""
        return self.workdir / f"phone-{self.extension.extension}.msg"

    @property
    def contact(self) -> str:
        """The Contact URI the phone registers."""
        return f"sip:{self.extension.endpoint}@{self.address}:{self.port}"

    def _argv(self, scenario: str, *extra: str) -> list[str]:
        return [
            require_sipp(),
            "-sf", str(SIPP_DIR / scenario),
            "-i", self.address, "-p", str(self.port),
            "-s", self.extension.endpoint,
            "-au", self.extension.endpoint,
            "-ap", self.password if self.password is not None else self.extension.secret,
            "-nostdin",
            *extra,
            f"{self.pbx[0]}:{self.pbx[1]}",
        ]  # fmt: skip

    def start(self) -> None:
        """Start the phone: it registers now and every minute, and takes calls."""
        if self.process is not None and self.process.poll() is None:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.mode in {"transfer", "attended", "forward"} and not self.target:
            raise ValueError(f"a {self.mode} phone needs a target")
        argv = self._argv(
            "phone-register.xml",
            "-oocsf", str(SIPP_DIR / _MODE_SCENARIOS[self.mode]),
            "-key", "target", self.target or "none",
            "-key", "expires", "300",
            "-users", "1", "-d", "60000",
            "-timeout", f"{int(self.lifetime)}s",
            "-aa",
            "-rtp_echo", "-mi", self.address, "-mp", str(PHONE_MEDIA_PORT),
            "-trace_msg", "-message_file", str(self.trace),
            "-trace_err", "-error_file", str(self.trace.with_suffix(".err")),
        )  # fmt: skip
        with (self.workdir / f"phone-{self.extension.extension}.log").open("ab") as log:
            self.process = _start(argv, self.workdir, log)

    def stop(self, unregister: bool = True) -> None:
        """Stop the SIPp process, then remove the phone's registration (bounded: 10 s)."""
        if self.process is not None:
            _stop(self.process)
        if unregister:
            argv = self._argv(
                "phone-register.xml",
                "-key", "expires", "0", "-m", "1", "-d", "0", "-timeout", "8s",
            )  # fmt: skip
            run(argv, timeout=10, check=False)

    @property
    def running(self) -> bool:
        """The SIPp process is alive."""
        return self.process is not None and self.process.poll() is None

    def messages(self) -> list[SipMessage]:
        """Every SIP message the phone sent or received so far."""
        return parse_trace(self.trace)

    def calls(self, since: float = 0.0) -> list[PhoneCall]:
        """Calls the PBX offered this phone since SINCE (time.time())."""
        return group_calls(self.messages(), since)

    def wait_call(self, since: float, timeout: float = 15.0) -> PhoneCall:
        """Wait for the PBX to offer this phone a call after SINCE; return it."""
        deadline = time.monotonic() + timeout
        while not (calls := self.calls(since)):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"phone {self.extension.extension} ({self.address}) got no INVITE "
                    f"within {timeout:g} s"
                )
            time.sleep(0.2)
        return calls[0]


class PhoneFleet:
    """Several phones, started and stopped together (see the `phones` fixture)."""

    def __init__(self, pbx: tuple[str, int], workdir: Path, lifetime: float = 1800.0) -> None:
        self.pbx = pbx
        self.workdir = workdir
        self.lifetime = lifetime
        self.phones: dict[str, Phone] = {}

    def add(
        self,
        extension: LabExtension,
        address: str,
        mode: PhoneMode = "answer",
        *,
        port: int = 5060,
        password: str | None = None,
    ) -> Phone:
        """Add (not yet start) a phone for EXTENSION on ADDRESS:PORT."""
        phone = Phone(
            extension,
            address,
            self.pbx,
            self.workdir,
            mode,
            port=port,
            lifetime=self.lifetime,
            password=password,
        )
        self.phones[extension.extension] = phone
        return phone

    def __getitem__(self, extension: str) -> Phone:
        return self.phones[extension]

    def __iter__(self) -> Iterator[Phone]:
        return iter(self.phones.values())

    def start(self) -> None:
        """Start every phone."""
        for phone in self:
            phone.start()

    def stop(self) -> None:
        """Stop every phone and remove its registration."""
        for phone in self:
            phone.stop()

    def wait_registered(self, pbx: Shell, timeout: float = 30.0) -> None:
        """Wait until the PBX has every running phone's contact, and not as unreachable."""
        deadline = time.monotonic() + timeout
        while True:
            states = {p.extension.extension: contact_state(pbx, p) for p in self if p.running}
            missing = {ext: state for ext, state in states.items() if state in {"", "Unavail"}}
            if not missing:
                return
            if time.monotonic() > deadline:
                dead = [p.extension.extension for p in self if not p.running]
                raise AssertionError(
                    f"phones not registered on {pbx.name} within {timeout:g} s: {missing}"
                    f"{f' (SIPp exited: {dead})' if dead else ''}\n"
                    + asterisk(pbx, "pjsip show contacts")
                )
            time.sleep(0.5)


def contact_state(pbx: Shell, phone: Phone) -> str:
    """Status of PHONE's contact on the PBX (Avail, NonQual, Unknown, Unavail; '' if absent).

    The AOR of an extension is named like its endpoint (the PBX's role does so).
    """
    out = asterisk(pbx, f"pjsip show contact {phone.extension.endpoint}/{phone.contact}")
    for line in out.splitlines():
        fields = line.split()
        if fields[:1] == ["Contact:"] and not fields[1].startswith("<"):
            return fields[3] if len(fields) > 3 else ""
    return ""


# ---- calls placed by a phone ------------------------------------------------------------------


@dataclass(frozen=True)
class CallResult:
    """How a call a phone placed went, from its SIPp message trace."""

    number: str
    started: float
    ended: float
    returncode: int
    messages: tuple[SipMessage, ...]

    @property
    def invite_statuses(self) -> list[int]:
        """Final responses to the phone's INVITEs, in order (e.g. [401, 200])."""
        return [
            m.status
            for m in self.messages
            if m.direction == "received" and m.cseq_method == "INVITE" and m.status >= 200
        ]

    @property
    def final_status(self) -> int:
        """The last final response to an INVITE (0 when none came)."""
        statuses = self.invite_statuses
        return statuses[-1] if statuses else 0

    @property
    def answered(self) -> bool:
        """The far end answered."""
        return self.final_status == 200

    @property
    def ended_normally(self) -> bool:
        """Answered, and ended by a BYE that got its 200 (from either side)."""
        bye = [m for m in self.messages if m.method == "BYE"]
        ok = [m for m in self.messages if m.status == 200 and m.cseq_method == "BYE"]
        return self.answered and bool(bye) and bool(ok)


class OutgoingCall:
    """A phone dialling NUMBER: started with `start()`, collected with `wait()`."""

    def __init__(
        self,
        extension: LabExtension,
        address: str,
        number: str,
        pbx: tuple[str, int],
        workdir: Path,
        *,
        hold: float = 3.0,
        timeout: float = 60.0,
        password: str | None = None,
        keys: str = "",
    ) -> None:
        self.extension = extension
        self.number = number
        self.timeout = timeout
        self.started = 0.0
        self.workdir = workdir
        serial = next(_call_media_ports)
        self.trace = workdir / f"call-{extension.extension}-{number}-{serial}.msg"
        scenario = SIPP_DIR / "call.xml"
        if keys:
            workdir.mkdir(parents=True, exist_ok=True)
            scenario = keys_scenario(keys, workdir, serial, first=2.0)
        self.argv = [
            require_sipp(),
            "-sf", str(scenario),
            "-i", address,
            "-s", number,
            "-key", "caller", extension.endpoint,
            "-key", "caller_name", extension.name,
            "-key", "header1", "X-Citypbx-Lab: 1",
            "-key", "header2", "X-Citypbx-Lab: 2",
            "-au", extension.endpoint,
            "-ap", password if password is not None else extension.secret,
            "-d", str(int(hold * 1000)),
            "-m", "1",
            "-timeout", f"{int(timeout)}s",
            "-rtp_echo", "-mi", address, "-mp", str(serial),
            "-nostdin",
            "-trace_msg", "-message_file", str(self.trace),
            f"{pbx[0]}:{pbx[1]}",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> OutgoingCall:
        """Place the call (returns at once)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.started = time.time()
        with (self.workdir / "calls.log").open("ab") as log:
            self.process = _start(self.argv, self.workdir, log)
        return self

    def messages(self) -> list[SipMessage]:
        """Messages so far."""
        return parse_trace(self.trace)

    def wait_answered(self, timeout: float = 15.0) -> None:
        """Wait until the far end answered the call."""
        deadline = time.monotonic() + timeout
        while not any(m.status == 200 and m.cseq_method == "INVITE" for m in self.messages()):
            if time.monotonic() > deadline:
                statuses = [m.first_line for m in self.messages() if m.direction == "received"]
                raise AssertionError(f"call to {self.number} not answered: {statuses}")
            time.sleep(0.2)

    def wait(self) -> CallResult:
        """Wait for SIPp to finish (bounded by the call's timeout) and return the result."""
        if self.process is None:
            raise RuntimeError("the call was not started")
        try:
            self.process.wait(self.timeout + 10)
        except subprocess.TimeoutExpired:
            _stop(self.process)
        return CallResult(
            self.number,
            self.started,
            time.time(),
            self.process.returncode,
            tuple(self.messages()),
        )

    def stop(self) -> None:
        """Stop SIPp if it still runs (fixture clean-up)."""
        if self.process is not None:
            _stop(self.process)


def place_call(
    extension: LabExtension,
    address: str,
    number: str,
    pbx: tuple[str, int],
    workdir: Path,
    **kwargs: float | str | None,
) -> CallResult:
    """EXTENSION's phone on ADDRESS dials NUMBER and holds the call; wait for the outcome."""
    call = OutgoingCall(extension, address, number, pbx, workdir, **kwargs)  # type: ignore[arg-type]
    call.start()
    try:
        return call.wait()
    finally:
        call.stop()
