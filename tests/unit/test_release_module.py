"""citypbx_asterisk_release, the parts that need no Asterisk: the release directory, the
candidate's rewritten copy, which files a release holds. The whole flow, with a real
Asterisk and real calls, is proven in molecule/calls/tests/test_release.py."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path
from types import ModuleType

import pytest
from module_runner import REPO

from citypbx.asterisk import cli
from citypbx.asterisk import release as release_module
from citypbx.asterisk.release import Options


@pytest.fixture(scope="module")
def release() -> ModuleType:
    return release_module


@pytest.mark.parametrize("name", ["cli", "release"])
def test_module_utils_are_the_package_files(name: str) -> None:
    """Ansible ships plugins/module_utils/ to the PBX: those files are the package's own."""
    link = REPO / "plugins" / "module_utils" / f"citypbx_asterisk_{name}.py"
    assert link.resolve() == (REPO / "citypbx" / "asterisk" / f"{name}.py").resolve()


@pytest.fixture
def releases(release: ModuleType, tmp_path: Path):
    owner = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    return release.Releases(str(tmp_path), owner, group)


FILES = {
    "extensions.d/00-citypbx.conf": "shared\n",
    "pjsip.d/city_kazan.conf": "kazan v1\n",
    "pjsip.d/city_ufa.conf": "ufa v1\n",
}


def test_a_release_is_written_whole_and_made_current(releases, tmp_path: Path) -> None:
    releases.write("20261202T000000000001Z-aaaaaaaa", FILES, {"files": {}})
    assert releases.current() == ""
    releases.switch("20261202T000000000001Z-aaaaaaaa")
    assert releases.current() == "20261202T000000000001Z-aaaaaaaa"
    assert releases.migrated()
    assert (tmp_path / "pjsip.d" / "city_kazan.conf").read_text() == "kazan v1\n"
    assert releases.files(releases.current()) == FILES
    mode = (tmp_path / "releases" / releases.current() / "pjsip.d" / "city_kazan.conf").stat()
    assert oct(mode.st_mode & 0o777) == "0o640"
    assert not [p for p in (tmp_path / "releases").iterdir() if p.name.startswith(".")]


def test_switching_back_and_pruning_keep_the_current_release(releases) -> None:
    ids = [f"20261202T00000000000{n}Z-aaaaaaaa" for n in range(1, 7)]
    for number, release_id in enumerate(ids):
        releases.write(release_id, {**FILES, "pjsip.d/city_kazan.conf": f"v{number}\n"}, {})
    releases.switch(ids[1])  # an old one is current (after rollbacks)
    releases.prune(3)
    assert releases.ids() == [ids[1], *ids[4:]]  # three: the current one and the two newest
    assert releases.current() == ids[1]


def test_the_pre_release_layout_becomes_links(releases, tmp_path: Path) -> None:
    old = tmp_path / "pjsip.d"
    old.mkdir()
    (old / "city_kazan.conf").write_text("from the old layout\n")
    assert releases.files("") == {"pjsip.d/city_kazan.conf": "from the old layout\n"}
    assert not releases.migrated()
    releases.write("00000000T000000000000Z-initial", releases.files(""), {"initial": True})
    releases.switch("00000000T000000000000Z-initial")
    assert old.is_symlink()
    assert (old / "city_kazan.conf").read_text() == "from the old layout\n"


def test_only_named_cities_change_the_others_are_carried_over(release) -> None:
    current = {**FILES, "queues.d/city_ufa.conf": "ufa queues\n"}
    module = Options(
        files=[
            {"path": "extensions.d/00-citypbx.conf", "content": "shared v2\n"},
            {"path": "pjsip.d/city_kazan.conf", "content": "kazan v2\n"},
            {"path": "pjsip.d/city_ufa.conf", "content": "ufa v2 (must not land)\n"},
        ],
        only_cities=["kazan"],
    )
    assert release.desired_files(module, current) == {
        "extensions.d/00-citypbx.conf": "shared v2\n",
        "pjsip.d/city_kazan.conf": "kazan v2\n",
        "pjsip.d/city_ufa.conf": "ufa v1\n",
        "queues.d/city_ufa.conf": "ufa queues\n",
    }


@pytest.mark.parametrize("path", ["../asterisk.conf", "pjsip.d/../../etc/passwd", "modules.conf"])
def test_a_file_outside_the_include_dirs_is_refused(release, path: str) -> None:
    module = Options(files=[{"path": path, "content": "x"}])
    with pytest.raises(release.ReleaseError, match="not a city include file"):
        release.desired_files(module, {})


def test_the_candidate_never_takes_the_live_address(release) -> None:
    live = (
        "[transport-udp]\ntype = transport\nprotocol = udp\nbind = 192.0.2.10:5060\n"
        "external_media_address = 198.51.100.7\n\n"
        "[transport-tcp]\ntype = transport\nprotocol = tcp\nbind = 192.0.2.10:5060\n"
    )
    ports: dict[str, int] = {}
    text = release.rebind_transports(live, ports)
    assert "192.0.2.10" not in text
    assert "198.51.100.7" not in text
    assert sorted(ports) == ["transport-tcp", "transport-udp"]
    assert ports["transport-tcp"] != ports["transport-udp"]
    assert f"bind = 127.0.0.1:{ports['transport-udp']}" in text


def test_the_candidate_sends_no_options_and_no_registration_outward(release) -> None:
    pjsip = (
        "[kazan-tattelecom]\ntype = aor\ncontact = sip:203.0.113.5:5060\nqualify_frequency = 30\n"
        "[kazan-tattelecom]\ntype = registration\nserver_uri = sip:203.0.113.5:5060\n"
        "client_uri = sip:8435550100@203.0.113.5:5060\noutbound_proxy = sip:203.0.113.6\n"
    )
    text = release.quiet_pjsip(pjsip, 9)
    assert "qualify_frequency = 0" in text
    assert "server_uri = sip:127.0.0.1:9" in text
    assert "client_uri = sip:8435550100@127.0.0.1:9" in text
    assert "outbound_proxy" not in text


def test_release_ids_sort_in_time_and_name_their_content(release) -> None:
    first = release.new_release_id(FILES)
    second = release.new_release_id({**FILES, "pjsip.d/city_kazan.conf": "kazan v2\n"})
    assert release.RELEASE_ID.match(first)
    assert first.split("-")[-1] != second.split("-")[-1]
    assert first <= second


def test_asterisks_lines_name_the_release_file_and_its_city(release) -> None:
    line = (
        "[2026-12-02 06:39:03.279] ERROR[4932] config_options.c: Could not find option "
        "'bogus_option' at line 7 of /run/citypbx-candidate-x/etc/pjsip.d/city_kazan.conf"
    )
    assert release.located(line, "/run/citypbx-candidate-x/etc") == (
        "city kazan: [2026-12-02 06:39:03.279] ERROR[4932] config_options.c: Could not find "
        "option 'bogus_option' at line 7 of pjsip.d/city_kazan.conf"
    )


# ---- the flow, with Asterisk's side replaced (the real one is in molecule/calls) -------------


class FakeAsterisk:
    """Stands in for the live and the candidate Asterisk: records reloads, can fail."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, release: ModuleType) -> None:
        self.reloads: list[list[str]] = []
        self.fail_reload: BaseException | None = None
        self.live_errors: list[str] = []
        monkeypatch.setattr(release, "check_candidate", lambda *_args: None)
        monkeypatch.setattr(release, "asterisk_cli", lambda *_args, **_kw: "")
        monkeypatch.setattr(release, "run_reloads", self._reload)
        monkeypatch.setattr(release, "probe_live", lambda *_args: ([], list(self.live_errors), []))

    def _reload(self, kinds: list[str]) -> None:
        self.reloads.append(list(kinds))
        if self.fail_reload is not None:
            failure, self.fail_reload = self.fail_reload, None
            raise failure


def options(root: Path, files: dict[str, str], **changes: object) -> Options:
    owner = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    listed = [{"path": p, "content": c} for p, c in files.items()]
    return Options(root=str(root), files=listed, owner=owner, group=group, **changes)


KAZAN_LOADS = [{"city": "kazan", "endpoints": ["kazan-tattelecom"]}]


def deploy(release, root: Path, version: str, **changes: object) -> str:
    files = {**FILES, "pjsip.d/city_kazan.conf": f"kazan {version}\n"}
    changes.setdefault("expect", KAZAN_LOADS)
    return release.present(options(root, files, keep=2, **changes))["release"]


def test_rollback_goes_to_what_was_live_before_not_to_the_older_id(
    release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """R1 live; R2 rolled out and rolled back; R3 rolled out: back from R3 is R1, and
    pruning to two releases kept R1 (found by review: id order would give R2)."""
    FakeAsterisk(monkeypatch, release)
    r1 = deploy(release, tmp_path, "v1")
    r2 = deploy(release, tmp_path, "v2")
    assert release.rollback(options(tmp_path, {}))["release"] == r1
    r3 = deploy(release, tmp_path, "v3")
    kept = release.Releases(tmp_path, "root", grp.getgrgid(os.getgid()).gr_name).ids()
    assert r1 in kept
    assert r2 not in kept
    assert release.rollback(options(tmp_path, {}))["release"] == r1
    assert r3 != r1


def test_a_timeout_after_the_switch_switches_back(
    release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    fake = FakeAsterisk(monkeypatch, release)
    r1 = deploy(release, tmp_path, "v1")
    fake.fail_reload = release.subprocess.TimeoutExpired("asterisk -rx", 30)
    with pytest.raises(release.ReleaseError, match=f"switched back to release {r1}"):
        deploy(release, tmp_path, "v2")
    releases = release.Releases(tmp_path, "root", grp.getgrgid(os.getgid()).gr_name)
    assert releases.current() == r1
    assert releases.ids() == [r1]  # the failed release is gone
    assert (tmp_path / "pjsip.d" / "city_kazan.conf").read_text() == "kazan v1\n"
    assert fake.reloads[-1] == ["pjsip"]  # and the old files were reloaded


def test_an_error_in_the_live_log_switches_back(
    release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    fake = FakeAsterisk(monkeypatch, release)
    r1 = deploy(release, tmp_path, "v1")
    fake.live_errors = ["[2026-12-02 07:00:00.000] ERROR[1] res_sorcery_config.c: Could not"]
    with pytest.raises(release.ReleaseError, match=r"Asterisk said: .*res_sorcery_config\.c"):
        deploy(release, tmp_path, "v2")
    assert release.Releases(tmp_path, "root", grp.getgrgid(os.getgid()).gr_name).current() == r1


def test_one_city_rollout_keeps_the_other_cities_expectations(
    release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The files of the other cities are carried over, so are their expectations (found by
    review: the new plan's expectations of Ufa failed a Kazan-only rollout)."""
    FakeAsterisk(monkeypatch, release)
    ufa = {"city": "ufa", "endpoints": ["ufa-old-endpoint"]}
    kazan = {"city": "kazan", "endpoints": ["kazan-tattelecom"]}
    deploy(release, tmp_path, "v1", expect=[kazan, ufa])
    new_ufa = {"city": "ufa", "endpoints": ["ufa-renamed-endpoint"]}
    r2 = deploy(release, tmp_path, "v2", expect=[kazan, new_ufa], only_cities=["kazan"])
    manifest = release.Releases(tmp_path, "root", grp.getgrgid(os.getgid()).gr_name).manifest(r2)
    assert manifest["expect"] == [kazan, ufa]


def test_a_real_include_directory_is_refused_not_deleted(
    release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    FakeAsterisk(monkeypatch, release)
    deploy(release, tmp_path, "v1")
    link = tmp_path / "queues.d"
    link.unlink()
    link.mkdir()
    (link / "hand-made.conf").write_text("a hand edit\n")
    with pytest.raises(release.ReleaseError, match="is a real directory again"):
        deploy(release, tmp_path, "v2")
    assert (link / "hand-made.conf").read_text() == "a hand edit\n"


def test_release_files_are_roots_and_only_readable_by_the_group(
    release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    FakeAsterisk(monkeypatch, release)
    r1 = deploy(release, tmp_path, "v1")
    for path in (tmp_path / "releases" / r1).rglob("*"):
        info = path.stat()
        assert info.st_uid == os.getuid()
        assert info.st_mode & 0o027 == 0, path  # no write for the group, nothing for others


def test_the_candidate_copy_is_isolated_and_logs_to_its_own_file(
    release,
    tmp_path: Path,
) -> None:
    """What a throwaway Asterisk is given (found by a lab run: without a logger.conf of its
    own it wrote no log, and the release was refused as unchecked)."""
    live = tmp_path / "etc"
    live.mkdir()
    (live / "asterisk.conf").write_text(
        "[directories]\nastetcdir => /etc/asterisk\n\n[options]\nrunuser = asterisk\n"
    )
    (live / "pjsip_transports.conf").write_text("[transport-udp]\nbind = 192.0.2.10:5060\n")
    (live / "logger.conf").write_text("[logfiles]\nmessages.log => notice\nsyslog.local0 => *\n")
    files = {"pjsip.d/city_kazan.conf": "[kazan-tattelecom]\nqualify_frequency = 30\n"}
    owner = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    candidate = release.Candidate(live, files, owner, group, 5)
    try:
        candidate.prepare()
        etc = candidate.etc
        assert (etc / "logger.conf").read_text() == release.CANDIDATE_LOGGER
        conf = (etc / "asterisk.conf").read_text()
        assert f"astetcdir => {etc}" in conf
        assert f"astrundir => {candidate.dir}/run" in conf
        assert "/etc/asterisk" not in conf
        assert "runuser = asterisk" in conf  # the live [options] are kept
        assert "192.0.2.10" not in (etc / "pjsip_transports.conf").read_text()
        assert "qualify_frequency = 0" in (etc / "pjsip.d" / "city_kazan.conf").read_text()
        with pytest.raises(release.ReleaseError, match="wrote no log"):
            candidate.log()  # never started: unchecked, never "no errors"
    finally:
        candidate.stop()
    assert not candidate.dir.exists()


# ---- fail closed (found in the review of the whole change) ------------------------------------


def test_a_release_with_nothing_expected_is_refused(
    release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """No expectations would make every probe pass: refused before anything is written."""
    FakeAsterisk(monkeypatch, release)
    with pytest.raises(release.ReleaseError, match="nothing to check"):
        release.present(options(tmp_path, FILES, expect=[]))
    assert (
        not (tmp_path / "releases").exists()
        or release.Releases(tmp_path, "root", grp.getgrgid(os.getgid()).gr_name).ids() == []
    )


def test_a_live_log_that_cannot_be_read_fails_the_probe(
    release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Errors nobody can read are not "no errors"."""
    monkeypatch.setattr(release, "loaded_state", lambda *_args: cli.Loaded())
    monkeypatch.setattr(release, "_SETTLE", 0)
    with pytest.raises(release.ReleaseError, match="cannot read the live log"):
        release.probe_live([], str(tmp_path / "no-such.log"), 0)
    log = tmp_path / "messages.log"
    log.write_text("[2026-12-02 07:00:00.000] NOTICE[1] pbx.c: fine\n")
    assert release.probe_live([], str(log), 0) == ([], [], [])
