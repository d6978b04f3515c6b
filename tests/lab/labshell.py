"""Commands on the lab's hosts: a container (podman exec) or an SSH host, and Asterisk's console.

Every command runs with a timeout; a command that fails raises LabCommandError with
its output, so a test failure says what the host answered.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

DEFAULT_TIMEOUT = 60.0


class LabCommandError(RuntimeError):
    """A lab command exited non-zero or timed out."""


def run(argv: list[str], *, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> str:
    """Run ARGV on this machine and return its standard output.

    Raises LabCommandError when it times out, or exits non-zero and CHECK is set.
    """
    try:
        # The commands are built by this package from fixed words and test data, never
        # from a shell string: no shell, no injection.
        result = subprocess.run(  # noqa: S603
            argv, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise LabCommandError(f"timed out after {timeout:g} s: {shlex.join(argv)}") from exc
    if check and result.returncode != 0:
        raise LabCommandError(
            f"exit {result.returncode}: {shlex.join(argv)}\n{result.stdout}{result.stderr}"
        )
    return result.stdout


class Shell(Protocol):
    """Somewhere commands run: a lab container or host."""

    name: str

    def run(self, *argv: str, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> str:
        """Run ARGV there; return standard output."""
        ...


@dataclass(frozen=True)
class PodmanShell:
    """A lab container, reached with `podman exec` (Molecule's instances)."""

    name: str

    def run(self, *argv: str, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> str:
        """Run ARGV in the container; return standard output."""
        return run(["podman", "exec", self.name, *argv], timeout=timeout, check=check)


@dataclass(frozen=True)
class SshShell:
    """A lab host reached over SSH with the lab's config (lab/up.sh writes .lab/ssh_config)."""

    name: str
    ssh_config: Path

    def run(self, *argv: str, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> str:
        """Run ARGV on the host; return standard output."""
        remote = shlex.join(argv)
        return run(
            ["ssh", "-F", str(self.ssh_config), self.name, remote], timeout=timeout, check=check
        )


def asterisk(shell: Shell, command: str, *, timeout: float = 30.0) -> str:
    """Run one Asterisk CLI command on SHELL's Asterisk (`asterisk -rx`); return its output."""
    return shell.run("asterisk", "-rx", command, timeout=timeout)


def sqlite_rows(shell: Shell, database: str, query: str) -> list[dict[str, str]]:
    """Rows of QUERY on the SQLite DATABASE on SHELL's host, as dicts of text values."""
    out = shell.run("sqlite3", "-json", "-cmd", ".timeout 2000", database, query)
    if not out.strip():
        return []
    rows: list[dict[str, object]] = json.loads(out)
    return [
        {key: "" if value is None else str(value) for key, value in row.items()} for row in rows
    ]
