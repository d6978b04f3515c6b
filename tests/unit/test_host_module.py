"""citypbx.host, the one-pass convergence behind citypbx_host_files and citypbx_host_state:
files byte for byte with owner and mode, directories, closing trees to others, and the
state read that lets a role skip work. Units and packages are exercised on a real host by
Molecule (molecule/default)."""

from __future__ import annotations

import grp
import os
import pwd
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from module_runner import REPO, run_module

from citypbx import host
from citypbx.host import HostError, WantedDirectory, WantedFile

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def wanted(path: Path, content: str = "a = 1\n", mode: int = 0o640, apply: str = "x") -> WantedFile:
    return WantedFile(str(path), content, OWNER, GROUP, mode, apply)


def test_module_utils_link_is_the_package_file() -> None:
    link = REPO / "plugins" / "module_utils" / "citypbx_host.py"
    assert link.resolve() == (REPO / "citypbx" / "host.py").resolve()


def test_a_missing_file_is_written_with_its_mode_and_reported(tmp_path: Path) -> None:
    target = tmp_path / "rtp.conf"
    outcome = host.converge([wanted(target, apply="rtp")])
    assert outcome.changed_files == [str(target)]
    assert outcome.applies == ["rtp"]
    assert target.read_text() == "a = 1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    files = [wanted(tmp_path / "a.conf", apply="rtp"), wanted(tmp_path / "b.conf", apply="cdr")]
    host.converge(files)
    again = host.converge(files)
    assert not again.changed
    assert again.applies == []


def test_only_the_changed_file_and_its_apply_are_reported(tmp_path: Path) -> None:
    files = [wanted(tmp_path / "a.conf", apply="rtp"), wanted(tmp_path / "b.conf", apply="cdr")]
    host.converge(files)
    files[1] = wanted(tmp_path / "b.conf", content="b = 2\n", apply="cdr")
    outcome = host.converge(files)
    assert outcome.changed_files == [str(tmp_path / "b.conf")]
    assert outcome.applies == ["cdr"]


def test_a_mode_change_alone_is_a_change(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    host.converge([wanted(target)])
    target.chmod(0o644)  # someone opened it to others
    outcome = host.converge([wanted(target)])
    assert outcome.changed_files == [str(target)]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_check_mode_reports_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    outcome = host.converge([wanted(target)], check=True)
    assert outcome.changed_files == [str(target)]
    assert not target.exists()


def test_diff_holds_before_and_after(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    host.converge([wanted(target)])
    outcome = host.converge([wanted(target, content="a = 2\n")], diff=True)
    assert outcome.diffs == [(str(target), "a = 1\n", "a = 2\n")]


def test_an_unknown_owner_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    files = [
        wanted(tmp_path / "a.conf"),
        WantedFile(str(tmp_path / "b.conf"), "x\n", "no-such-user-citypbx", GROUP),
    ]
    with pytest.raises(HostError, match="no-such-user-citypbx"):
        host.converge(files)
    assert not (tmp_path / "a.conf").exists()  # checked before the first write


def test_in_check_mode_a_missing_account_is_a_change_to_come(tmp_path: Path) -> None:
    """--check on a fresh host: the asterisk account comes with the package."""
    files = [WantedFile(str(tmp_path / "a.conf"), "x\n", "no-such-user-citypbx", GROUP)]
    outcome = host.converge(files, check=True)
    assert outcome.changed_files == [str(tmp_path / "a.conf")]
    assert not (tmp_path / "a.conf").exists()


def test_a_directory_where_a_file_belongs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.conf").mkdir()
    with pytest.raises(HostError, match="not a regular file"):
        host.converge([wanted(tmp_path / "a.conf")])


def test_a_symlink_is_not_followed(tmp_path: Path) -> None:
    """A link planted where a file belongs must not redirect the write."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n")
    (tmp_path / "a.conf").symlink_to(elsewhere)
    with pytest.raises(HostError, match="not a regular file"):
        host.converge([wanted(tmp_path / "a.conf")])
    assert elsewhere.read_text() == "keep\n"


def test_a_relative_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HostError, match="absolute"):
        host.converge([WantedFile("etc/a.conf", "x", OWNER, GROUP)])


def test_directories_are_created_with_their_mode(tmp_path: Path) -> None:
    target = tmp_path / "rec" / "kazan"
    directories = [WantedDirectory(str(target), OWNER, GROUP, 0o750)]
    outcome = host.converge([], directories=directories)
    assert outcome.changed_directories == [str(target)]
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert not host.converge([], directories=directories).changed


def test_private_trees_lose_every_permission_of_others(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    opened = tmp_path / "sub" / "Master.csv"
    opened.write_text("cdr\n")
    opened.chmod(0o644)
    closed = tmp_path / "messages.log"
    closed.write_text("log\n")
    closed.chmod(0o640)
    outcome = host.converge([], private_trees=[str(tmp_path)])
    assert outcome.closed_files == [str(opened)]
    assert stat.S_IMODE(opened.stat().st_mode) == 0o640
    assert not host.converge([], private_trees=[str(tmp_path)]).changed


@pytest.mark.parametrize("value", ["640x", "rw-r-----", "99999", True, -1, "0o640"])
def test_odd_modes_are_refused(value: object) -> None:
    with pytest.raises(HostError):
        host.parse_mode(value)  # type: ignore[arg-type]


def test_state_says_which_files_differ(tmp_path: Path) -> None:
    same, other = wanted(tmp_path / "a.conf"), wanted(tmp_path / "b.conf")
    host.converge([same, other])
    (tmp_path / "b.conf").write_text("edited by hand\n")
    states = {f.path: host.wanted_state(f) for f in (same, other, wanted(tmp_path / "c.conf"))}
    assert host.files_match(states) == {
        str(tmp_path / "a.conf"): True,
        str(tmp_path / "b.conf"): False,
        str(tmp_path / "c.conf"): False,
    }


def test_os_release_is_read(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\n')
    assert host.os_release(str(release)) == {
        "PRETTY_NAME": "Debian GNU/Linux 13 (trixie)",
        "ID": "debian",
        "VERSION_ID": "13",
    }
    assert host.os_release(str(tmp_path / "none")) == {}


def test_the_files_module_runs_as_ansible_runs_it(tmp_path: Path) -> None:
    module = REPO / "plugins" / "modules" / "citypbx_host_files.py"
    target = tmp_path / "a.conf"
    args = {
        "files": [
            {
                "path": str(target),
                "content": "s = 1\n",
                "owner": OWNER,
                "group": GROUP,
                "mode": "0600",
                "apply": "pjsip",
            }
        ],
    }
    first = run_module(module, args, tmp_path)
    assert first.result["changed"] is True, first.stdout
    assert first.result["applies"] == ["pjsip"]
    assert "s = 1" not in first.stdout  # contents are not returned
    second = run_module(module, args, tmp_path)
    assert second.result["changed"] is False


def test_the_files_module_refuses_a_file_without_content(tmp_path: Path) -> None:
    module = REPO / "plugins" / "modules" / "citypbx_host_files.py"
    run = run_module(module, {"files": [{"path": str(tmp_path / "a")}]}, tmp_path)
    assert run.result.get("failed") is True
    assert not (tmp_path / "a").exists()


def test_the_state_module_reports_differing_files_without_content(tmp_path: Path) -> None:
    module = REPO / "plugins" / "modules" / "citypbx_host_state.py"
    args = {
        "files": [
            {
                "path": str(tmp_path / "a"),
                "content": "secret-ish\n",
                "owner": OWNER,
                "group": GROUP,
                "mode": "0600",
            }
        ],
        "packages": ["citypbx-no-such-package"],
    }
    run = run_module(module, args, tmp_path)
    assert run.result["files_differ"] == [str(tmp_path / "a")], run.stdout
    assert run.result["packages"] == {"citypbx-no-such-package": ""}
    assert "secret-ish" not in run.stdout


def test_unit_states_come_from_one_systemctl_show(monkeypatch: pytest.MonkeyPatch) -> None:
    """Captured from systemd 257 (Debian 13): a block per unit, in the order asked."""
    calls = []

    def fake(*args: str) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        out = (
            "ActiveState=active\nUnitFileState=enabled\n\n"
            "ActiveState=inactive\nUnitFileState=\n\n"
            "ActiveState=failed\nUnitFileState=static\n"
        )
        return subprocess.CompletedProcess(args, 0, out, "")

    monkeypatch.setattr(host, "_systemctl", fake)
    states = host.unit_states(["asterisk.service", "nosuch.service", "x.timer"])
    assert len(calls) == 1
    assert states == {
        "asterisk.service": {"enabled": "enabled", "active": "active"},
        "nosuch.service": {"enabled": "not-found", "active": "inactive"},
        "x.timer": {"enabled": "static", "active": "failed"},
    }


def test_a_failing_systemctl_reads_as_not_running(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail closed: no answer from systemd is not 'enabled and running'."""
    monkeypatch.setattr(
        host, "_systemctl", lambda *a: subprocess.CompletedProcess(a, 1, "", "no bus")
    )
    assert host.unit_states(["asterisk.service"]) == {
        "asterisk.service": {"enabled": "not-found", "active": "unknown"}
    }


def test_the_state_module_refuses_a_file_without_a_path(tmp_path: Path) -> None:
    module = REPO / "plugins" / "modules" / "citypbx_host_state.py"
    run = run_module(module, {"files": [{"content": "x"}]}, tmp_path)
    assert run.result.get("failed") is True
    assert "needs a path and a content" in run.result["msg"]


def test_owner_and_mode_are_never_set_through_a_link(tmp_path: Path) -> None:
    """A link swapped in where a file was (a tree the asterisk account can write) is refused."""
    target = tmp_path / "elsewhere"
    target.write_text("x\n")
    target.chmod(0o644)
    (tmp_path / "Master.csv").symlink_to(target)
    with pytest.raises(HostError, match="move it away"):
        host._set_owner_and_mode(
            tmp_path / "Master.csv", os.getuid(), os.getgid(), 0o600, directory=False
        )
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_failure_after_writing_says_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The play must still apply a file that was written before a later step failed."""

    def fake(*args: str) -> subprocess.CompletedProcess[str]:
        if args[0] == "show":
            return subprocess.CompletedProcess(
                args, 0, "ActiveState=inactive\nUnitFileState=disabled\n", ""
            )
        return subprocess.CompletedProcess(args, 1, "", "Unit not found")

    monkeypatch.setattr(host, "_systemctl", fake)
    with pytest.raises(host.PartialError) as raised:
        host.converge(
            [wanted(tmp_path / "a.conf", apply="pjsip")], services=[host.WantedService("x")]
        )
    assert raised.value.outcome.applies == ["pjsip"]
    assert raised.value.outcome.changed_files == [str(tmp_path / "a.conf")]


def test_a_running_unit_that_is_not_enabled_is_enabled_not_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only a unit that was not running counts as started: one that ran keeps its old
    configuration, so its reloads must still run."""
    calls = []

    def fake(*args: str) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        if args[0] == "show":
            return subprocess.CompletedProcess(
                args, 0, "ActiveState=active\nUnitFileState=disabled\n", ""
            )
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(host, "_systemctl", fake)
    outcome = host.converge([], services=[host.WantedService("asterisk.service")])
    assert outcome.enabled_services == ["asterisk.service"]
    assert outcome.started_services == []
    assert ("enable", "asterisk.service") in calls


@pytest.mark.parametrize(
    ("status", "installed"),
    [("ii ", True), ("hi ", True), ("rc ", False), ("iU ", False), ("iiR", False)],
)
def test_installed_packages_include_held_ones(
    monkeypatch: pytest.MonkeyPatch, status: str, installed: bool
) -> None:
    """A package held with apt-mark hold ("hi") is installed; half-installed or removed is not."""
    out = f"asterisk\t1:22.10.1\t{status}\n"
    monkeypatch.setattr(
        host.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, out, "")
    )
    assert host.package_versions(["asterisk"]) == {"asterisk": "1:22.10.1" if installed else ""}


# ---- columns of an existing call-record table ------------------------------------------------


def _cdr(path: Path, columns: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE cdr ({columns})")
        db.execute("INSERT INTO cdr (city) VALUES ('kazan')")


def _columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[1] for row in db.execute('PRAGMA table_info("cdr")')]


def test_a_new_cdr_column_is_added_to_the_existing_table_and_the_rows_stay(tmp_path: Path):
    database = tmp_path / "master.db"
    _cdr(database, "city, direction")
    wanted = [host.WantedColumns(str(database), "cdr", ("city", "direction", "class"))]
    outcome = host.converge([], columns=wanted)
    assert outcome.added_columns == [f"{database}:cdr.class"]
    assert outcome.changed
    assert _columns(database) == ["city", "direction", "class"]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT city, class FROM cdr").fetchall() == [("kazan", None)]
    assert host.converge([], columns=wanted).added_columns == []


def test_check_mode_reports_a_missing_column_and_adds_nothing(tmp_path: Path):
    database = tmp_path / "master.db"
    _cdr(database, "city")
    wanted = [host.WantedColumns(str(database), "cdr", ("city", "class"))]
    assert host.converge([], columns=wanted, check=True).added_columns == [f"{database}:cdr.class"]
    assert _columns(database) == ["city"]


def test_no_database_or_no_table_yet_is_left_to_its_creator(tmp_path: Path):
    missing = host.WantedColumns(str(tmp_path / "none.db"), "cdr", ("class",))
    assert host.converge([], columns=[missing]).added_columns == []
    assert not (tmp_path / "none.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert (
        host.converge([], columns=[host.WantedColumns(str(empty), "cdr", ("class",))]).added_columns
        == []
    )


@pytest.mark.parametrize(
    "item",
    [
        {"path": "/x.db", "table": "cdr", "columns": ["class; DROP TABLE cdr"]},
        {"path": "/x.db", "table": 'cdr"', "columns": ["a"]},
        {"path": "/x.db", "table": "cdr", "columns": "class"},
        {"table": "cdr", "columns": ["a"]},
    ],
)
def test_a_column_set_with_odd_names_is_refused(item: dict[str, object]):
    with pytest.raises(host.HostError):
        host.WantedColumns.from_argument(item)
