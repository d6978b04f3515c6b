"""Releases of a host's Asterisk city files: written aside, tested by a throwaway Asterisk,
switched in one rename, applied with the gentlest reload, probed, switched back on failure.

Layout on the host (below the configuration directory, /etc/asterisk):
  releases/<id>/{pjsip.d,extensions.d,queues.d,voicemail.d}/*.conf   one release, MANIFEST.json
  releases/current -> <id>                                            the live one
  pjsip.d -> releases/current/pjsip.d  (and the other three)          what Asterisk includes
Ids sort in time (UTC timestamp, then a hash of the content); the release before the current
one is what rollback goes back to.

Standard library only: this file is shipped to the PBX as Ansible module_utils
(plugins/module_utils/citypbx_asterisk_release.py links here) next to cli.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # as part of the citypbx package (controller, tests)
    from citypbx.asterisk import cli
except ImportError:  # pragma: no cover - on the PBX, where Ansible shipped both files
    from ansible.module_utils import citypbx_asterisk_cli as cli  # type: ignore[no-redef]

INCLUDE_DIRS = ("pjsip.d", "extensions.d", "queues.d", "voicemail.d")
# The gentlest reload that applies a change to each include directory (ASTERISK.md).
RELOAD_OF_DIR = {
    "pjsip.d": "pjsip",
    "extensions.d": "dialplan",
    "queues.d": "queues",
    "voicemail.d": "voicemail",
}
RELOADS = {
    "pjsip": "module reload res_pjsip.so",
    "dialplan": "dialplan reload",
    "queues": "module reload app_queue.so",
    "voicemail": "module reload app_voicemail.so",
}
MANIFEST = "MANIFEST.json"
CURRENT = "current"
INITIAL = "00000000T000000000000Z-initial"  # what was live before the first release
SHARED = "all cities"  # the expectation of the shared contexts (00-citypbx.conf)
RELEASE_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$|^" + INITIAL + "$")
_CITY_FILE = re.compile(r"^[a-z]+\.d/city_(?P<city>[a-z][a-z0-9_]*)\.conf$")
_PATH = re.compile(r"^(pjsip|extensions|queues|voicemail)\.d/[A-Za-z0-9_][A-Za-z0-9_.-]*\.conf$")
_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]")
CANDIDATE_LOGGER = (
    "[general]\ndateformat = %F %T.%3q\n\n[logfiles]\nmessages.log => notice,warning,error\n"
)
_SETTLE = 0.5  # s: Asterisk's logger thread writes a moment after a command returns


class ReleaseError(Exception):
    """A check failed; the message is what the operator reads."""


Files = dict[str, str]  # path below the configuration directory -> content


# ---- the release directory -------------------------------------------------------------------


class Releases:
    """The releases below ROOT. Files are root's, readable by the service account's GROUP:
    Asterisk only reads them, and an account that cannot write there cannot plant a link
    for root to follow. (OWNER is kept for the candidate, which runs as that account.)"""

    def __init__(self, root: str | Path, owner: str, group: str) -> None:
        self.root = Path(root)
        self.base = self.root / "releases"
        pwd.getpwnam(owner)  # an unknown account is an error before anything is written
        self.uid = os.getuid()
        self.gid = grp.getgrnam(group).gr_gid

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One release operation at a time on a host: a second run waits, then sees the first
        one's release as current (two rollouts never start from the same release)."""
        self.base.mkdir(mode=0o750, exist_ok=True)
        self._own(self.base, 0o750)
        with (self.base / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def previous_of(self, release: str) -> str:
        """The release that was live before RELEASE (its manifest says), if still kept."""
        previous = self.manifest(release).get("previous")
        return previous if isinstance(previous, str) and previous in self.ids() else ""

    def unmanaged_dirs(self) -> list[str]:
        """Include directories that are real directories (hand-made, restored from a backup)."""
        return [
            d for d in INCLUDE_DIRS if (self.root / d).is_dir() and not (self.root / d).is_symlink()
        ]

    def ids(self) -> list[str]:
        if not self.base.is_dir():
            return []
        return sorted(
            p.name for p in self.base.iterdir() if RELEASE_ID.match(p.name) and p.is_dir()
        )

    def current(self) -> str:
        link = self.base / CURRENT
        if not link.is_symlink():
            return ""
        target = str(link.readlink())
        return target if RELEASE_ID.match(target) and target in self.ids() else ""

    def files(self, release: str) -> Files:
        """Path -> content of RELEASE ("": the include directories of the old layout)."""
        top = self.base / release if release else self.root
        found: Files = {}
        for directory in INCLUDE_DIRS:
            folder = top / directory
            if folder.is_dir():
                for path in sorted(folder.glob("*.conf")):
                    if path.is_file():
                        found[f"{directory}/{path.name}"] = path.read_text("utf-8")
        return found

    def manifest(self, release: str) -> dict[str, Any]:
        try:
            data = json.loads((self.base / release / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def migrated(self) -> bool:
        """The include directories are the links to the current release."""
        return all(
            (self.root / d).is_symlink()
            and str((self.root / d).readlink()) == f"releases/{CURRENT}/{d}"
            for d in INCLUDE_DIRS
        )

    def _own(self, path: Path, mode: int) -> None:
        path.chmod(mode)
        os.chown(path, self.uid, self.gid)

    def write(self, release: str, files: Mapping[str, str], meta: Mapping[str, Any]) -> None:
        """Write a release aside, then rename it into place: never half a release."""
        self.base.mkdir(mode=0o750, exist_ok=True)
        self._own(self.base, 0o750)
        work = Path(tempfile.mkdtemp(prefix=".new-", dir=self.base))
        try:
            self._own(work, 0o750)
            for directory in INCLUDE_DIRS:
                (work / directory).mkdir()
                self._own(work / directory, 0o750)
            for path, content in sorted(files.items()):
                target = work / path
                descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(content)
                self._own(target, 0o640)
            manifest = work / MANIFEST
            manifest.write_text(json.dumps(meta, indent=1, sort_keys=True), "utf-8")
            self._own(manifest, 0o640)
            work.rename(self.base / release)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def remove(self, release: str) -> None:
        shutil.rmtree(self.base / release, ignore_errors=True)

    def switch(self, release: str) -> None:
        """Point `current` at RELEASE in one rename; make the include directories follow it."""
        temporary = self.base / f".{CURRENT}-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        temporary.symlink_to(release)
        temporary.rename(self.base / CURRENT)
        for directory in INCLUDE_DIRS:
            path = self.root / directory
            wanted = f"releases/{CURRENT}/{directory}"
            if path.is_symlink() and str(path.readlink()) == wanted:
                continue
            if path.is_dir() and not path.is_symlink():
                # Only the old layout's directories, whose files present() kept as the initial
                # release first; any other real directory is refused before a switch.
                shutil.rmtree(path)
            elif path.is_symlink() or path.exists():
                path.unlink()
            path.symlink_to(wanted)

    def prune(self, keep: int) -> None:
        """Keep KEEP releases: the current one, the one it replaced (what rollback goes back
        to), then the newest others."""
        ids, current = self.ids(), self.current()
        kept = {r for r in (current, self.previous_of(current) if current else "") if r}
        for release in reversed(ids):
            if len(kept) >= keep:
                break
            kept.add(release)
        for release in ids:
            if release not in kept:
                self.remove(release)


def new_release_id(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for path, content in sorted(files.items()):
        digest.update(path.encode() + b"\0" + content.encode() + b"\0")
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
    return f"{stamp}{int(now * 1_000_000) % 1_000_000:06d}Z-{digest.hexdigest()[:8]}"


# ---- talking to Asterisk -------------------------------------------------------------------


def asterisk_cli(command: str, config: str | None = None, timeout: float = 30) -> str:
    """One console command (`asterisk [-C CONFIG] -rx COMMAND`); its output."""
    argv = ["asterisk", *(["-C", config] if config else []), "-rx", command]
    try:
        # Fixed words and the kit's own paths; no shell.
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    except OSError as exc:
        raise ReleaseError(
            f"cannot run asterisk ({exc.strerror}); is Asterisk installed?"
        ) from None
    if done.returncode != 0:
        answer = (done.stderr or done.stdout).strip()[:300]
        raise ReleaseError(f"`asterisk -rx '{command}'` failed ({done.returncode}): {answer}")
    return done.stdout


def loaded_state(config: str | None = None) -> cli.Loaded:
    """What the Asterisk of CONFIG has loaded. The four questions are asked at once: each
    is its own console process, and asking them one after the other is most of a re-run's
    probe time."""
    commands = ("dialplan show", "pjsip show endpoints", "pjsip show registrations", "module show")
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        contexts, endpoints, registrations, modules = pool.map(
            lambda command: asterisk_cli(command, config), commands
        )
    return cli.Loaded(
        contexts=cli.parse_contexts(contexts),
        endpoints=cli.parse_endpoints(endpoints),
        registrations=cli.parse_registrations(registrations),
        modules=cli.parse_modules(modules),
    )


def expectations(raw: Sequence[Mapping[str, Any]]) -> list[cli.Expectation]:
    return [
        cli.Expectation(
            city=str(item.get("city", "")),
            contexts=tuple(str(c) for c in item.get("contexts") or ()),
            endpoints=tuple(str(e) for e in item.get("endpoints") or ()),
            registrations=tuple(str(r) for r in item.get("registrations") or ()),
        )
        for item in raw
    ]


def log_size(path: str | Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def log_since(path: str | Path, offset: int) -> str:
    try:
        with Path(path).open(encoding="utf-8", errors="replace") as handle:
            if Path(path).stat().st_size < offset:
                offset = 0  # rotated meanwhile
            handle.seek(offset)
            return handle.read()
    except OSError:
        return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rebind_transports(text: str, ports: dict[str, int]) -> str:
    """Every transport binds to 127.0.0.1 on a free port of its own: a candidate never takes
    the live PBX's address (and announces no external one)."""
    out, section = [], ""
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            section = header["name"]
        if section and re.match(r"^\s*bind\s*=", line):
            if section not in ports:
                ports[section] = _free_port()
            out.append(f"bind = 127.0.0.1:{ports[section]}")
        elif not re.match(r"^\s*external_(media|signaling)_address\s*=", line):
            out.append(line)
    return "\n".join(out) + "\n"


def quiet_pjsip(text: str, closed_port: int) -> str:
    """No OPTIONS to anyone, and registrations sent to a closed loopback port: a candidate
    must never take the live registration from an operator (ASTERISK.md)."""
    out = []
    for line in text.splitlines():
        if re.match(r"^\s*qualify_frequency\s*=", line):
            out.append("qualify_frequency = 0")
        elif re.match(r"^\s*server_uri\s*=", line):
            out.append(f"server_uri = sip:127.0.0.1:{closed_port}")
        elif re.match(r"^\s*client_uri\s*=", line):
            user = re.search(r"sip:([^@]+)@", line)
            name = user.group(1) if user else "candidate"
            out.append(f"client_uri = sip:{name}@127.0.0.1:{closed_port}")
        elif not re.match(r"^\s*outbound_proxy\s*=", line):
            out.append(line)
    return "\n".join(out) + "\n"


@dataclass
class Candidate:
    """A throwaway Asterisk on the live base files plus a candidate release, with its own
    run, log, spool, lib and database directories (modules and sounds shared)."""

    root: Path
    files: Mapping[str, str]
    owner: str
    group: str
    timeout: float
    dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.uid = pwd.getpwnam(self.owner).pw_uid
        self.gid = grp.getgrnam(self.group).gr_gid
        self.dir = Path(tempfile.mkdtemp(prefix="citypbx-candidate-", dir="/run"))

    @property
    def etc(self) -> Path:
        return self.dir / "etc"

    @property
    def config(self) -> str:
        return str(self.etc / "asterisk.conf")

    def _own(self, path: Path, mode: int) -> None:
        path.chmod(mode)
        os.chown(path, self.uid, self.gid)

    def prepare(self) -> None:
        self._own(self.dir, 0o750)
        for name in ("etc", "run", "log", "spool", "lib", "db", "keys", "cache"):
            (self.dir / name).mkdir(mode=0o750)
            self._own(self.dir / name, 0o750)
        closed = _free_port()
        ports: dict[str, int] = {}
        for source in sorted(self.root.glob("*.conf")):
            if not source.is_file():
                continue
            text = source.read_text("utf-8", errors="replace")
            if source.name == "asterisk.conf":
                text = self._asterisk_conf(text)
            elif source.name == "logger.conf":
                continue  # the candidate's own, below
            elif source.name == "pjsip_transports.conf":
                text = rebind_transports(text, ports)
            elif source.name.startswith("pjsip"):
                text = quiet_pjsip(text, closed)
            self._write(source.name, text)
        # Its log is what the check reads: always the candidate's own, whatever the host has.
        self._write("logger.conf", CANDIDATE_LOGGER)
        for path, content in self.files.items():
            self._write(
                path, quiet_pjsip(content, closed) if path.startswith("pjsip.d/") else content
            )

    def _write(self, path: str, text: str) -> None:
        target = self.etc / path
        if not target.parent.is_dir():
            target.parent.mkdir(mode=0o750)
            self._own(target.parent, 0o750)
        target.write_text(text, "utf-8")
        self._own(target, 0o640)

    def _asterisk_conf(self, live: str) -> str:
        """The live [options] (run user, limits) with the candidate's own directories."""
        kept, section = [], ""
        for line in live.splitlines():
            header = _SECTION.match(line)
            if header:
                section = header["name"].strip()
            if section != "directories":
                kept.append(line)
        d = self.dir
        directories = [
            "[directories]",
            f"astetcdir => {self.etc}",
            f"astrundir => {d}/run",
            f"astlogdir => {d}/log",
            f"astspooldir => {d}/spool",
            f"astvarlibdir => {d}/lib",
            f"astdbdir => {d}/db",
            f"astkeydir => {d}/keys",
            f"astcachedir => {d}/cache",
        ]
        return "\n".join([*directories, "", *kept]) + "\n"

    def log(self) -> str:
        """The candidate's log; a candidate that wrote none has not been checked (fail closed)."""
        try:
            return (self.dir / "log" / "messages.log").read_text("utf-8", errors="replace")
        except OSError as exc:
            raise ReleaseError(
                f"the throwaway Asterisk wrote no log ({exc.strerror}), so the release is "
                "unchecked and does not go live"
            ) from None

    def start(self) -> None:
        # The kit's own binary and paths; no shell.
        done = subprocess.run(  # noqa: S603
            ["asterisk", "-C", self.config],  # noqa: S607 - the packaged binary, on PATH
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            raise ReleaseError(f"the throwaway Asterisk did not start: {done.stderr.strip()[:300]}")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                asterisk_cli("core waitfullybooted", self.config, timeout=10)
            except (ReleaseError, subprocess.TimeoutExpired):
                time.sleep(0.5)
            else:
                return
        raise ReleaseError(f"the throwaway Asterisk did not boot within {self.timeout:g} s")

    def stop(self) -> None:
        with contextlib.suppress(ReleaseError, subprocess.TimeoutExpired):
            asterisk_cli("core stop now", self.config, timeout=15)
        pid = 0
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.dir / "run" / "asterisk.pid").read_text().strip())
        if pid:
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.1)
            else:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- the checks --------------------------------------------------------------------------------


def keep_log(text: str, live_log: str | Path) -> str:
    """The candidate's log beside the live one, for whoever reads the failure at 3 a.m."""
    path = Path(live_log).parent / "citypbx-candidate.log"
    try:
        # The log directory is the service account's: never follow a link it may have put there.
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        descriptor = os.open(path, flags, 0o640)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o640)
            handle.write(text)
    except OSError:
        return ""
    return str(path)


def located(line: str, candidate_etc: str | Path) -> str:
    """Asterisk's line with the candidate's copy named as the release file, and its city."""
    line = line.replace(f"{candidate_etc}/", "")
    city = re.search(r"\bcity_([a-z][a-z0-9_]*)\.conf\b", line)
    return f"city {city.group(1)}: {line}" if city else line


def details(problems: Sequence[str], errors: Sequence[str]) -> str:
    text = ""
    if problems:
        text += "; missing: " + ", ".join(problems[:20])
        if len(problems) > 20:  # noqa: PLR2004 - enough to act on, not a wall of text
            text += f" and {len(problems) - 20} more"
    if errors:
        text += "; Asterisk said: " + " | ".join(errors[:10])
    return text


@dataclass(frozen=True)
class Options:
    """What the module was asked (see plugins/modules/citypbx_asterisk_release.py)."""

    root: str = "/etc/asterisk"
    files: Sequence[Mapping[str, Any]] = ()
    only_cities: Sequence[str] = ()
    expect: Sequence[Mapping[str, Any]] = ()
    keep: int = 5
    owner: str = "asterisk"
    group: str = "asterisk"
    log_file: str = "/var/log/asterisk/messages.log"
    candidate_timeout: float = 60
    check_mode: bool = False


def check_candidate(
    options: Options, files: Files, expected: list[cli.Expectation], live_modules: Mapping[str, str]
) -> None:
    candidate = Candidate(
        Path(options.root), files, options.owner, options.group, options.candidate_timeout
    )
    log = ""
    try:
        candidate.prepare()
        candidate.start()
        state = loaded_state(candidate.config)
        problems = cli.missing(state, expected)
        problems += [
            f"module {name} does not run"
            for name, status in sorted(live_modules.items())
            if status == "Running" and state.modules.get(name) != "Running"
        ]
        log = candidate.log()
        errors = [located(line.line, candidate.etc) for line in cli.config_problems(log)]
    finally:
        candidate.stop()
    if problems or errors:
        kept = keep_log(log.replace(f"{candidate.etc}/", ""), options.log_file)
        raise ReleaseError(
            "the new release did not load in a throwaway Asterisk, so it never went live"
            + details(problems, errors)
            + (f"; its whole log: {kept}" if kept else "")
        )


def probe_live(
    expected: list[cli.Expectation], log_file: str, offset: int, settle: float = _SETTLE
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """What is missing, Asterisk's new error lines, and per city what is loaded. SETTLE is
    the wait for the log of a reload just run; with nothing reloaded there is none."""
    time.sleep(settle)
    state = loaded_state()
    problems = cli.missing(state, expected)
    # Calls in progress log errors of their own: only the configuration's count here.
    if not Path(log_file).is_file():
        raise ReleaseError(
            f"cannot read the live log {log_file}, so Asterisk's errors are unknown; "
            "check logger.conf (messages.log) and log_file"
        )
    live_log = log_since(log_file, offset)
    errors = [line.line for line in cli.config_problems(live_log, any_error=False)]
    return problems, errors, city_report(state, expected)


def city_report(state: cli.Loaded, expected: list[cli.Expectation]) -> list[dict[str, Any]]:
    """Per city: how many of its contexts, endpoints and registrations are loaded, and the
    state of each registration (Registered, Rejected, ...)."""

    def share(names: tuple[str, ...], loaded: frozenset[str]) -> str:
        return f"{sum(name in loaded for name in names)}/{len(names)}"

    return [
        {
            "city": city.city,
            "contexts": share(city.contexts, state.contexts),
            "endpoints": share(city.endpoints, state.endpoints),
            "registrations": {r: state.registrations.get(r, "missing") for r in city.registrations},
        }
        for city in expected
    ]


def run_reloads(kinds: Sequence[str]) -> None:
    for kind in sorted(kinds):
        asterisk_cli(RELOADS[kind])


def reload_kind(path: str) -> str:
    return RELOAD_OF_DIR[path.split("/", 1)[0]]


def changed_paths(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


def city_of(path: str) -> str:
    match = _CITY_FILE.match(path)
    return match["city"] if match else ""


def desired_files(options: Options, current: Mapping[str, str]) -> Files:
    """The files of the new release: those given, and with `only_cities` every other city's
    files of the current release, unchanged."""
    files: Files = {}
    for item in options.files:
        path, content = item.get("path"), item.get("content")
        if not isinstance(path, str) or not _PATH.match(path) or not isinstance(content, str):
            raise ReleaseError(f"file {path!r} is not a city include file; fix the renderer")
        files[path] = content
    only = set(options.only_cities)
    if only:
        files = {p: c for p, c in files.items() if city_of(p) in only or city_of(p) == ""}
        for path, content in current.items():
            if city_of(path) not in only and city_of(path) != "":
                files[path] = content
    return files


# ---- the two states ------------------------------------------------------------------------


def present(options: Options) -> dict[str, Any]:
    releases = Releases(options.root, options.owner, options.group)
    with releases.locked():
        return _present(options, releases)


def _expected(options: Options, releases: Releases, previous: str) -> list[dict[str, Any]]:
    """What must load: the given expectations; with `only_cities`, those of the named cities
    (and the shared contexts) plus what the current release recorded for every other city,
    whose files are carried over unchanged."""
    given = [dict(item) for item in options.expect]
    only = set(options.only_cities)
    if not only:
        return given
    mine = [item for item in given if item.get("city") in only or item.get("city") == SHARED]
    recorded = releases.manifest(previous).get("expect") if previous else None
    others = [
        item
        for item in (recorded if isinstance(recorded, list) else [])
        if isinstance(item, dict) and item.get("city") not in only and item.get("city") != SHARED
    ]
    return mine + others


def _present(options: Options, releases: Releases) -> dict[str, Any]:
    previous = releases.current()
    if previous and releases.unmanaged_dirs():
        raise ReleaseError(
            f"{', '.join(str(releases.root / d) for d in releases.unmanaged_dirs())} "
            "is a real directory again, not the link to releases/current (a hand edit or a "
            "restored backup?); move its files out of the way, nothing was changed"
        )
    current_files = releases.files(previous) if previous else releases.files("")
    files = desired_files(options, current_files)
    raw_expected = _expected(options, releases, previous)
    expected = expectations(raw_expected)
    if not any(e.contexts or e.endpoints or e.registrations for e in expected):
        raise ReleaseError(
            "nothing to check: the release names no context, endpoint or registration that "
            "must load (expect); pass what the renderer returns"
        )
    changed = changed_paths(current_files, files)
    switch_needed = bool(changed) or not previous or not releases.migrated()
    result: dict[str, Any] = {
        "changed": False,
        "previous": previous,
        "release": previous,
        "changed_files": changed,
        "reloads": sorted({reload_kind(p) for p in changed}),
        "diff": {
            "before": "".join(f"{p}\n" for p in sorted(current_files)),
            "after": "".join(f"{p}\n" for p in sorted(files)),
            "before_header": "releases/current (paths; contents hold secrets)",
            "after_header": "new release (paths)",
        },
    }
    if options.check_mode:
        result["changed"] = switch_needed
        return result
    if not switch_needed:
        problems, errors, report = probe_live(
            expected, options.log_file, log_size(options.log_file), settle=0
        )
        if problems:
            raise ReleaseError(
                f"the current release {previous} is not fully loaded" + details(problems, errors)
            )
        result["cities"] = report
        return result

    check_candidate(options, files, expected, cli.parse_modules(asterisk_cli("module show")))

    if not previous and current_files:
        # The first release on a host of the old layout: what was live stays reachable.
        releases.write(INITIAL, current_files, {"initial": True})
        releases.switch(INITIAL)
        previous = INITIAL
    release = new_release_id(files)
    releases.write(
        release,
        files,
        {
            "files": {p: hashlib.sha256(c.encode()).hexdigest() for p, c in sorted(files.items())},
            "expect": raw_expected,
            "previous": previous,
        },
    )
    kinds = sorted({reload_kind(p) for p in changed} or set(RELOADS))
    try:
        report = _apply(releases, release, previous, kinds, expected, options.log_file)
    except ReleaseError:
        releases.remove(release)
        raise
    releases.prune(options.keep)
    result.update(changed=True, release=release, previous=previous, reloads=kinds, cities=report)
    return result


def _apply(  # noqa: PLR0917 - each a different fact of one activation
    releases: Releases,
    release: str,
    back_to: str,
    kinds: Sequence[str],
    expected: list[cli.Expectation],
    log_file: str,
) -> list[dict[str, Any]]:
    """Switch to RELEASE, reload KINDS and probe the live Asterisk; on any failure (a probe
    that finds something missing or an error in the log, a timeout, an OSError, an interrupt)
    switch back to BACK_TO and reload, so that the host never stays on a release that failed.
    Returns what each city has loaded; raises ReleaseError saying what failed and where the
    host is now."""
    back = f"switched back to release {back_to} and reloaded" if back_to else "no release before it"
    offset = log_size(log_file)
    releases.switch(release)
    try:
        run_reloads(kinds)
        problems, errors, report = probe_live(expected, log_file, offset)
    except BaseException as exc:
        _switch_back(releases, back_to, kinds)
        if isinstance(exc, ReleaseError | subprocess.TimeoutExpired | OSError):
            raise ReleaseError(f"release {release} could not be applied ({exc}); {back}") from None
        raise
    if problems or errors:
        _switch_back(releases, back_to, kinds)
        raise ReleaseError(
            f"release {release} failed on the live Asterisk"
            + details(problems, errors)
            + f"; {back}"
        )
    return report


def _switch_back(releases: Releases, back_to: str, kinds: Sequence[str]) -> None:
    if back_to:
        releases.switch(back_to)
        with contextlib.suppress(ReleaseError, subprocess.TimeoutExpired, OSError):
            run_reloads(kinds)


def rollback(options: Options) -> dict[str, Any]:
    releases = Releases(options.root, options.owner, options.group)
    with releases.locked():
        return _rollback(options, releases)


def _rollback(options: Options, releases: Releases) -> dict[str, Any]:
    """Back to the release the current one replaced (its manifest says which), whatever the
    ids' order: after a rollback and a new rollout, back goes to what was live before, and
    a second rollback goes further back (to what the target itself replaced), not forth."""
    current = releases.current()
    target = releases.previous_of(current) if current else ""
    if not target:
        kept = ", ".join(releases.ids()) or "none"
        raise ReleaseError(
            f"release {current or '(none)'} records no earlier release still on this host "
            f"(kept: {kept}); nothing to roll back to"
        )
    changed = changed_paths(releases.files(current), releases.files(target))
    kinds = sorted({reload_kind(p) for p in changed})
    result: dict[str, Any] = {
        "changed": True,
        "previous": current,
        "release": target,
        "changed_files": changed,
        "reloads": kinds,
    }
    if options.check_mode:
        return result
    expected = expectations(releases.manifest(target).get("expect") or [])
    result["cities"] = _apply(releases, target, current, kinds, expected, options.log_file)
    return result


def kept_releases(options: Options) -> list[str]:
    return Releases(options.root, options.owner, options.group).ids()
