"""The state of a host the kit manages, read and converged in one pass (stdlib only).

Shipped to the managed host as module_utils (plugins/module_utils/citypbx_host.py links
here) and used by the modules citypbx_host_state (read) and citypbx_host_files (converge).
One module call instead of a task per file, package and unit is what makes an idempotent
re-run cheap: every per-task round trip to a host costs more than the work itself.

Nothing here prints file contents: a caller that ships secrets marks its task no_log.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: The highest file mode (set-uid, set-gid, sticky and rwx for all).
MAX_MODE = 0o7777

#: The unit file state that means "starts at boot" (what playbooks/check.yml requires too;
#: enabled-runtime, indirect, alias or generated do not promise it).
ENABLED = frozenset({"enabled"})


@dataclass(frozen=True)
class WantedFile:
    """A file the host must hold, byte for byte, with its owner and mode."""

    path: str
    content: str
    owner: str = "root"
    group: str = "root"
    mode: int = 0o644
    #: What makes a change to it effective (a name the caller maps to a reload).
    apply: str = ""

    @classmethod
    def from_argument(cls, item: Mapping[str, object]) -> WantedFile:
        """From a module argument: path and content required; owner, group root, mode 0644."""
        path, content = item.get("path"), item.get("content")
        if not isinstance(path, str) or not isinstance(content, str):
            raise HostError(f"each file needs a path and a content (text); got {sorted(item)}")
        return cls(
            path=path,
            content=content,
            owner=str(item.get("owner", "root")),
            group=str(item.get("group", "root")),
            mode=parse_mode(item.get("mode", "0644")),  # type: ignore[arg-type]
            apply=str(item.get("apply", "")),
        )


@dataclass(frozen=True)
class WantedDirectory:
    path: str
    owner: str = "root"
    group: str = "root"
    mode: int = 0o755

    @classmethod
    def from_argument(cls, item: Mapping[str, object]) -> WantedDirectory:
        path = item.get("path")
        if not isinstance(path, str):
            raise HostError(f"each directory needs a path; got {sorted(item)}")
        return cls(
            path=path,
            owner=str(item.get("owner", "root")),
            group=str(item.get("group", "root")),
            mode=parse_mode(item.get("mode", "0755")),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class WantedService:
    """A systemd unit that must be enabled at boot and running."""

    name: str


@dataclass
class Outcome:
    changed_files: list[str] = field(default_factory=list)
    applies: list[str] = field(default_factory=list)
    changed_directories: list[str] = field(default_factory=list)
    started_services: list[str] = field(default_factory=list)
    enabled_services: list[str] = field(default_factory=list)
    closed_files: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)  # "<db>:<table>.<column>"
    daemon_reloaded: bool = False
    #: (path, before, after) of changed text files, for --diff.
    diffs: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.changed_files
            or self.changed_directories
            or self.started_services
            or self.enabled_services
            or self.closed_files
            or self.added_columns
        )


class HostError(Exception):
    """A wanted state that cannot be reached; the message names the path and the cause."""


class PartialError(HostError):
    """Failed after some changes were made: OUTCOME says which, so that the caller still
    applies them (a file written but never reloaded would look converged on the next run)."""

    def __init__(self, message: str, outcome: Outcome) -> None:
        super().__init__(message)
        self.outcome = outcome


def parse_mode(value: str | int) -> int:
    """'0640' or 0o640 -> 0o640; anything else is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    elif isinstance(value, str) and value.isdigit() and all(c in "01234567" for c in value):
        mode = int(value, 8)
    else:
        raise HostError(f"mode {value!r} is not an octal mode such as '0640'")
    if not 0 <= mode <= MAX_MODE:
        raise HostError(f"mode {value!r} is out of range")
    return mode


def _ids(owner: str, group: str, what: str) -> tuple[int, int]:
    try:
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        raise HostError(f"{what}: owner {owner}:{group} does not exist on this host") from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_state(path: str) -> dict[str, object]:
    """sha256, owner, group and mode of PATH; {'exists': False} when there is none."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False}
    if not stat.S_ISREG(info.st_mode):
        return {"exists": True, "regular": False}
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return {
        "exists": True,
        "regular": True,
        "sha256": _sha256(Path(path).read_bytes()),
        "owner": owner,
        "group": group,
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
    }


def wanted_state(wanted: WantedFile) -> dict[str, object]:
    """What file_state reads once WANTED is in place (to compare without shipping content)."""
    return {
        "exists": True,
        "regular": True,
        "sha256": _sha256(wanted.content.encode()),
        "owner": wanted.owner,
        "group": wanted.group,
        "mode": f"{wanted.mode:04o}",
    }


def _write(wanted: WantedFile, uid: int, gid: int) -> None:
    """Write atomically: a private temporary file beside it, owner and mode set on its
    descriptor (never through a path someone could swap), renamed into place."""
    target = Path(wanted.path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(wanted.content.encode())
            handle.flush()
            os.fchown(handle.fileno(), uid, gid)
            os.fchmod(handle.fileno(), wanted.mode)
            os.fsync(handle.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _set_owner_and_mode(path: Path, uid: int, gid: int, mode: int, *, directory: bool) -> None:
    """chown and chmod through a descriptor opened without following a link: a link planted
    in a tree another account can write is refused, not followed (as root)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_DIRECTORY if directory else 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise HostError(
            f"{path}: {exc.strerror} (a link or a special file?); move it away"
        ) from None
    try:
        info = os.fstat(descriptor)
        if not (stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)):
            raise HostError(f"{path} changed kind while being fixed; look at it and re-run")
        if (info.st_uid, info.st_gid) != (uid, gid):
            os.fchown(descriptor, uid, gid)
        os.fchmod(descriptor, mode)
    finally:
        os.close(descriptor)


def _owner_ids(owner: str, group: str, what: str, check: bool) -> tuple[int, int] | None:
    """The ids of OWNER:GROUP; in check mode a missing account is a change to come (its
    package is not installed yet), not an error."""
    try:
        return _ids(owner, group, what)
    except HostError:
        if check:
            return None
        raise


def _preflight(
    files: Sequence[WantedFile], directories: Sequence[WantedDirectory], check: bool
) -> None:
    """Everything that can be known before writing: a run that would fail at its tenth file
    fails before the first, so no change is left written but not applied."""
    for directory in directories:
        _owner_ids(directory.owner, directory.group, directory.path, check)
        info = _lstat(Path(directory.path))
        if info is not None and not stat.S_ISDIR(info.st_mode):
            raise HostError(f"{directory.path} exists and is not a directory; move it away")
    created = {d.path for d in directories}
    for wanted in files:
        path = Path(wanted.path)
        if not path.is_absolute():
            raise HostError(f"{wanted.path}: the path must be absolute")
        _owner_ids(wanted.owner, wanted.group, wanted.path, check)
        if not path.parent.is_dir() and str(path.parent) not in created and not check:
            raise HostError(f"{wanted.path}: its directory {path.parent} does not exist")
        info = _lstat(path)
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise HostError(f"{wanted.path} exists and is not a regular file; move it away")


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None


def converge_directories(
    directories: Iterable[WantedDirectory], outcome: Outcome, check: bool
) -> None:
    for wanted in directories:
        ids = _owner_ids(wanted.owner, wanted.group, wanted.path, check)
        path = Path(wanted.path)
        info = _lstat(path)
        if info is None:
            outcome.changed_directories.append(wanted.path)
            if not check and ids is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.mkdir(mode=0o700)  # private until its owner and mode are set
                _set_owner_and_mode(path, *ids, wanted.mode, directory=True)
            continue
        if ids is None or (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) != (
            *ids,
            wanted.mode,
        ):
            outcome.changed_directories.append(wanted.path)
            if not check and ids is not None:
                _set_owner_and_mode(path, *ids, wanted.mode, directory=True)


def converge_files(
    files: Iterable[WantedFile], outcome: Outcome, check: bool, diff: bool = False
) -> None:
    for wanted in files:
        path = Path(wanted.path)
        ids = _owner_ids(wanted.owner, wanted.group, wanted.path, check)
        have = file_state(wanted.path)
        if ids is not None and have == wanted_state(wanted):
            continue
        outcome.changed_files.append(wanted.path)
        if wanted.apply and wanted.apply not in outcome.applies:
            outcome.applies.append(wanted.apply)
        if diff:
            before = path.read_text(errors="replace") if have.get("exists") else ""
            outcome.diffs.append((wanted.path, before, wanted.content))
        if not check and ids is not None:
            _write(wanted, *ids)


def close_to_others(directories: Iterable[str], outcome: Outcome, check: bool) -> None:
    """Take every permission of 'others' from the regular files below each directory."""
    for top in directories:
        for root, _dirs, names in os.walk(top):
            for name in names:
                path = Path(root) / name
                info = _lstat(path)  # None: rotated away while we walked
                if info is not None and stat.S_ISREG(info.st_mode) and info.st_mode & 0o007:
                    outcome.closed_files.append(str(path))
                    if not check:
                        _set_owner_and_mode(
                            path,
                            info.st_uid,
                            info.st_gid,
                            stat.S_IMODE(info.st_mode) & ~0o007,
                            directory=False,
                        )


def _systemctl(*args: str) -> subprocess.CompletedProcess[str]:
    # Fixed words and unit names from the task; no shell.
    return subprocess.run(  # noqa: S603
        ["systemctl", *args],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def unit_states(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Unit name -> {'enabled': its unit file state, 'active': its active state}, the words of
    `systemctl is-enabled` and `is-active`, read for every unit in one `systemctl show`."""
    names = list(names)
    if not names:
        return {}
    done = _systemctl("show", "--property=UnitFileState,ActiveState", "--", *names)
    # One block per unit, in the order asked, separated by an empty line.
    blocks = done.stdout.strip("\n").split("\n\n") if done.returncode == 0 else []
    states = {}
    for index, name in enumerate(names):
        fields: dict[str, str] = {}
        if index < len(blocks):
            for line in blocks[index].splitlines():
                key, _, value = line.partition("=")
                fields[key] = value
        states[name] = {
            "enabled": fields.get("UnitFileState") or "not-found",
            "active": fields.get("ActiveState") or "unknown",
        }
    return states


def converge_services(
    services: Sequence[WantedService], outcome: Outcome, check: bool, units_changed: bool
) -> None:
    """Enable what does not start at boot, start what does not run. Only a unit that was not
    running is reported started: one that ran keeps its configuration, and its reloads
    must still happen."""
    if units_changed and not check:
        done = _systemctl("daemon-reload")
        if done.returncode != 0:
            raise HostError(f"systemctl daemon-reload failed: {done.stderr.strip()}")
        outcome.daemon_reloaded = True
    for name, state in unit_states(s.name for s in services).items():
        actions = []
        if state["enabled"] not in ENABLED:
            outcome.enabled_services.append(name)
            actions.append("enable")
        if state["active"] != "active":
            outcome.started_services.append(name)
            actions.append("start")
        for action in actions if not check else []:
            done = _systemctl(action, name)
            if done.returncode != 0:
                raise HostError(
                    f"systemctl {action} {name} failed: {done.stderr.strip()}; "
                    f"see journalctl -u {name}"
                )


@dataclass(frozen=True)
class WantedColumns:
    """Columns an SQLite table must have (added as TEXT when missing), before a file that
    names them takes effect: Asterisk's CDR table outlives a change of its column list, and a
    record written to a column the table lacks is lost."""

    path: str
    table: str
    columns: tuple[str, ...]

    @classmethod
    def from_argument(cls, item: Mapping[str, object]) -> WantedColumns:
        path, table, columns = item.get("path"), item.get("table"), item.get("columns")
        names = columns if isinstance(columns, list) else None
        if not isinstance(path, str) or not isinstance(table, str) or names is None:
            raise HostError("a column set needs path, table and a list of columns; fix the task")
        for name in (table, *names):
            if not isinstance(name, str) or not _SQL_NAME.fullmatch(name):
                raise HostError(f"{path}: {name!r} is not a plain SQL name; fix the task")
        return cls(path, table, tuple(names))


_SQL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def converge_columns(wanted: Sequence[WantedColumns], outcome: Outcome, check: bool) -> None:
    """Add the missing columns. A database or table that does not exist yet is left alone:
    whoever creates it creates it with the full column list."""
    for item in wanted:
        if not Path(item.path).is_file():
            continue
        try:
            with sqlite3.connect(
                f"file:{item.path}?mode={'ro' if check else 'rw'}", uri=True
            ) as db:
                db.execute("PRAGMA busy_timeout = 5000")
                rows = db.execute(f'PRAGMA table_info("{item.table}")').fetchall()
                have = {row[1].lower() for row in rows}
                if not have:
                    continue
                for column in item.columns:
                    if column.lower() in have:
                        continue
                    if not check:
                        db.execute(f'ALTER TABLE "{item.table}" ADD COLUMN "{column}" TEXT')
                    outcome.added_columns.append(f"{item.path}:{item.table}.{column}")
        except sqlite3.Error as exc:
            raise HostError(f"{item.path}: {exc}; check the database") from exc


def converge(
    files: Sequence[WantedFile],
    *,
    directories: Sequence[WantedDirectory] = (),
    services: Sequence[WantedService] = (),
    private_trees: Sequence[str] = (),
    columns: Sequence[WantedColumns] = (),
    check: bool = False,
    diff: bool = False,
) -> Outcome:
    """Directories first, then table columns, then files, then units (daemon-reload when a
    unit file changed)."""
    outcome = Outcome()
    _preflight(files, directories, check)
    try:
        converge_directories(directories, outcome, check)
        converge_columns(columns, outcome, check)
        converge_files(files, outcome, check, diff)
        units_changed = any(p.startswith("/etc/systemd/") for p in outcome.changed_files)
        converge_services(services, outcome, check, units_changed)
        close_to_others(private_trees, outcome, check)
    except (HostError, OSError) as exc:
        raise PartialError(str(exc), outcome) from exc
    return outcome


def os_release(path: str = "/etc/os-release") -> dict[str, str]:
    """ID, VERSION_ID, PRETTY_NAME... of the host ({} when the file is missing)."""
    values = {}
    try:
        text = Path(path).read_text()
    except OSError:
        return {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("\"'")
    return values


def package_versions(names: Sequence[str]) -> dict[str, str]:
    """Package -> installed version; "" for a package not (fully) installed."""
    versions = dict.fromkeys(names, "")
    if not names:
        return versions
    try:
        # Fixed words and package names from the task; no shell.
        done = subprocess.run(  # noqa: S603
            ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n", *names],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return versions
    for line in done.stdout.splitlines():
        package, _, rest = line.partition("\t")
        version, _, status = rest.partition("\t")
        # Status letters: wanted (i install, h hold), state (i installed), error (none).
        if (
            package in versions
            and status[:1] in "ih"
            and status[1:2] == "i"
            and not status[2:].strip()
        ):
            versions[package] = version
    return versions


def files_match(wanted: Mapping[str, Mapping[str, object]]) -> dict[str, bool]:
    """Path -> whether the file on the host is exactly the state described (see wanted_state)."""
    return {path: file_state(path) == dict(state) for path, state in wanted.items()}


def invocation_without_contents(params: Mapping[str, object]) -> dict[str, object]:
    """A module's arguments as Ansible echoes them (invocation), file contents left out."""
    shown = dict(params)
    files = params.get("files")
    shown["files"] = [
        {key: value for key, value in f.items() if key != "content"}
        for f in (files if isinstance(files, list) else [])
        if isinstance(f, dict)
    ]
    return {"module_args": shown}
