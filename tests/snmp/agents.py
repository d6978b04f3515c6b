"""Real SNMP agents for tests and benchmarks: snmpsim on loopback addresses (see README.md).

One `snmpsim-command-responder` process serves every agent: one SNMP engine per agent, each with
its own data directory (holding `<community>.snmprec`, so the agent answers that community only)
and its own endpoint `127.0.1.x:<port>`. The process has a bounded lifetime (snmpsim's
`--timeout`), and `running_agents()` stops it and removes its files on exit.

snmpsim refuses to run as root: as root, the agents drop to `nobody` (`--process-user`), so the
data and cache directories live in a world-readable temporary directory and the interpreter must
be readable by `nobody` (the repo venv made from /usr/bin/python3 is; one under /root is not).
When it is not (a clone under /root), the agents stay root through SNMPSIM_ALLOW_ROOT=true.

    with running_agents([Agent("127.0.1.11", "yealink-t46u", "lab-ro")]) as lab:
        run_sweep("127.0.1.11", Community("lab-ro"), port=lab.port)
"""

from __future__ import annotations

import grp
import ipaddress
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
RESPONDER = Path(sys.executable).parent / "snmpsim-command-responder"
UNPRIVILEGED_USER = "nobody"
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class AgentsError(RuntimeError):
    """The agents did not start; the message carries the end of snmpsim's log."""


@dataclass(frozen=True)
class Agent:
    address: str  # a loopback address, e.g. 127.0.1.11
    datafile: str  # a file of tests/snmp/data, without .snmprec
    community: str  # the only community this agent answers


@dataclass(frozen=True)
class Lab:
    port: int
    agents: tuple[Agent, ...]
    workdir: Path
    pid: int
    runs_as: str  # the user the agents answer as, and why


def free_udp_port(address: str) -> int:
    """A UDP port free on `address` now (agents of parallel runs must not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_agents(
    agents: Sequence[Agent],
    *,
    port: int | None = None,
    lifetime: float = 120.0,
    startup_timeout: float = 30.0,
) -> Iterator[Lab]:
    """Start the agents, wait until every endpoint listens, yield, then stop and clean up."""
    for agent in agents:
        if ipaddress.ip_address(agent.address) not in LOOPBACK:
            raise AgentsError(f"{agent.address} is not a loopback address; lab agents stay on lo")
    if not RESPONDER.is_file():
        raise AgentsError(f"{RESPONDER} not found: install snmpsim==1.2.2 and pysmi into the venv")
    port = port or free_udp_port(agents[0].address)
    workdir = Path(tempfile.mkdtemp(prefix="citypbx-snmpsim-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        command, env, runs_as = _prepare(workdir, agents, port, lifetime)
        with (workdir / "snmpsim.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603  # fixed argv, no shell
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        _wait_listening(process, workdir / "snmpsim.log", len(agents), startup_timeout)
        yield Lab(port, tuple(agents), workdir, process.pid, runs_as)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def readable_by_others(path: Path) -> bool:
    """True if any user can reach `path`: every directory above it is others-searchable and
    `path` itself others-readable (what `nobody` needs to run the venv's interpreter)."""
    path = path.resolve()
    for directory in reversed(path.parents):
        if not directory.stat().st_mode & stat.S_IXOTH:
            return False
    return bool(path.stat().st_mode & stat.S_IROTH)


def _prepare(
    workdir: Path, agents: Sequence[Agent], port: int, lifetime: float
) -> tuple[list[str], dict[str, str], str]:
    """Lay out data and cache directories readable by the unprivileged user; build argv, env
    and a note on the user the agents run as."""
    workdir.chmod(0o755)
    cache = workdir / "cache"
    cache.mkdir()
    command = [
        str(RESPONDER),
        f"--cache-dir={cache}",
        "--log-level=info",
    ]
    env = dict(os.environ)
    runs_as = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0 and readable_by_others(Path(sys.prefix)):
        user = pwd.getpwnam(UNPRIVILEGED_USER)
        group = grp.getgrgid(user.pw_gid).gr_name
        os.chown(cache, user.pw_uid, user.pw_gid)
        command += [f"--process-user={user.pw_name}", f"--process-group={group}"]
        runs_as = f"{user.pw_name} (dropped from root)"
    elif os.geteuid() == 0:
        # The venv lives where `nobody` cannot read it (e.g. a clone under /root): snmpsim's
        # documented escape hatch keeps it root. Loopback only, files we wrote, bounded life.
        env["SNMPSIM_ALLOW_ROOT"] = "true"
        runs_as = f"root (SNMPSIM_ALLOW_ROOT: {sys.prefix} is not readable by {UNPRIVILEGED_USER})"
    for index, agent in enumerate(agents):
        data_dir = workdir / f"agent{index:03d}-{agent.address}"
        data_dir.mkdir(mode=0o755)
        target = data_dir / f"{agent.community}.snmprec"
        shutil.copyfile(DATA / f"{agent.datafile}.snmprec", target)
        target.chmod(0o644)
        data_dir.chmod(0o755)
        command += [
            "--v3-engine-id=auto",  # starts the configuration of one more SNMP engine
            f"--data-dir={data_dir}",
            f"--agent-udpv4-endpoint={agent.address}:{port}",
        ]
    # Exit on its own after `lifetime` seconds. Engine options must come first: anything before
    # the first --v3-engine-id would make snmpsim configure an extra engine without endpoints.
    return [*command, f"--timeout={lifetime:g}"], env, runs_as


def _wait_listening(
    process: subprocess.Popen[bytes], log: Path, endpoints: int, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text("utf-8", "replace")
        if text.count("Listening at UDP/IPv4 endpoint") >= endpoints:
            return
        if process.poll() is not None:
            break
        time.sleep(0.05)
    tail = "\n".join(log.read_text("utf-8", "replace").splitlines()[-15:])
    state = "exited" if process.poll() is not None else f"not ready after {timeout:g} s"
    raise AgentsError(f"snmpsim {state}; end of its log:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
