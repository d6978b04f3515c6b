#!/usr/bin/python
"""Ansible module: activate the rendered Asterisk city files as a release, tested first."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_asterisk_release
short_description: Activate a host's rendered Asterisk city files as a release, tested before it goes live
description:
  - >-
    Writes the files rendered by M(citypbx_asterisk_files) as a new release
    C(<root>/releases/<id>/) and makes the include directories (C(pjsip.d), C(extensions.d),
    C(queues.d), C(voicemail.d)) point at the current release through the symlink
    C(<root>/releases/current).
  - >-
    Before the release is live, a throwaway Asterisk loads it with its own run, log, spool
    and database directories, transports rebound to 127.0.0.1 on free ports, no qualify
    and its outbound registrations pointed at a closed loopback port (it must never take
    the live registration from an operator). Every context, endpoint and registration the
    plan expects must load, every module of the live Asterisk must run, and its log must
    hold no error.
  - >-
    Then the switch (one atomic rename of the symlink), the gentlest reload of each changed
    kind of file, and a probe of the live Asterisk (objects loaded, no new error in its log).
    A failed check or probe switches back, reloads, and fails naming the city, the object and
    Asterisk's own error line. The previous release stays current.
  - C(state=rollback) makes the release before the current one current again, reloads and probes.
  - Keeps the last O(keep) releases.
version_added: "0.2.0"
options:
  state:
    description: C(present) activates O(files); C(rollback) goes back one release.
    type: str
    choices: [present, rollback]
    default: present
  files:
    description:
      - The rendered files, each with C(path) (below O(root)), C(content), C(reload)
        (pjsip, dialplan, queues, voicemail) and C(city) (C("") for shared files).
      - Holds passwords; the task must set C(no_log).
    type: list
    elements: dict
    default: []
  only_cities:
    description:
      - Cities whose files change in this release. Files of other cities are carried over
        from the current release unchanged. Empty for every city of O(files); the release
        then holds exactly O(files).
    type: list
    elements: str
    default: []
  expect:
    description:
      - Per city, what must be loaded once the release is live
        (C(city), C(contexts), C(endpoints), C(registrations)).
    type: list
    elements: dict
    default: []
  root:
    description: Asterisk's configuration directory.
    type: path
    default: /etc/asterisk
  keep:
    description: Releases kept on the host, the current one included.
    type: int
    default: 5
  owner:
    description: Owner of the release files (the Asterisk service account).
    type: str
    default: asterisk
  group:
    description: Group of the release files.
    type: str
    default: asterisk
  log_file:
    description: The live Asterisk's log, read for errors after a reload.
    type: path
    default: /var/log/asterisk/messages.log
  candidate_timeout:
    description: Seconds the throwaway Asterisk may take to boot.
    type: int
    default: 60
notes:
  - Check mode reports which files and reloads a run would change, and touches nothing.
  - Diff mode lists changed paths only; contents hold secrets.
author:
  - citypbx maintainers
"""

EXAMPLES = r"""
- name: Activate the rendered city files
  citypbx_asterisk_release:
    files: "{{ _asterisk_city_render.files }}"
    expect: "{{ _asterisk_city_render.expect }}"
  no_log: true

- name: Go back one release
  citypbx_asterisk_release:
    state: rollback
"""

RETURN = r"""
release:
  description: Id of the release that is current at the end of the run.
  returned: always
  type: str
previous:
  description: Id of the release that was current before the run ("" for none).
  returned: always
  type: str
changed_files:
  description: Paths (below root) added, changed or removed by the run.
  returned: always
  type: list
  elements: str
reloads:
  description: The reloads that were run (pjsip, dialplan, queues, voicemail).
  returned: always
  type: list
  elements: str
releases:
  description: Releases kept on the host, oldest first.
  returned: always
  type: list
  elements: str
"""

import contextlib
import hashlib
import json
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible.module_utils.citypbx_asterisk_cli import (
    Expectation,
    Loaded,
    config_problems,
    missing,
    parse_contexts,
    parse_endpoints,
    parse_modules,
    parse_registrations,
)

INCLUDE_DIRS = ("pjsip.d", "extensions.d", "queues.d", "voicemail.d")
RELOADS = {
    "pjsip": "module reload res_pjsip.so",
    "dialplan": "dialplan reload",
    "queues": "module reload app_queue.so",
    "voicemail": "module reload app_voicemail.so",
}
RELOAD_OF_DIR = {"pjsip.d": "pjsip", "extensions.d": "dialplan", "queues.d": "queues",
                 "voicemail.d": "voicemail"}
MANIFEST = "MANIFEST.json"
CURRENT = "current"
_RELEASE_ID = re.compile(r"^\d{8}T\d{6}\d{6}Z-[0-9a-f]{8}$|^00000000T000000000000Z-initial$")
_CITY_FILE = re.compile(r"^[a-z.]+/city_(?P<city>[a-z][a-z0-9_]*)\.conf$")
_PATH = re.compile(r"^(pjsip|extensions|queues|voicemail)\.d/[A-Za-z0-9_.-]+\.conf$")


class ReleaseError(Exception):
    """A check failed: the message is what the operator reads."""


# ---- the release directory ---------------------------------------------------------------


class Releases:
    def __init__(self, root, owner, group):
        self.root = root
        self.base = os.path.join(root, "releases")
        self.uid = pwd.getpwnam(owner).pw_uid
        self.gid = grp.getgrnam(group).gr_gid

    def ids(self):
        if not os.path.isdir(self.base):
            return []
        return sorted(n for n in os.listdir(self.base) if _RELEASE_ID.match(n)
                      and os.path.isdir(os.path.join(self.base, n)))

    def current(self):
        link = os.path.join(self.base, CURRENT)
        if not os.path.islink(link):
            return ""
        target = os.readlink(link)
        return target if _RELEASE_ID.match(target) and target in self.ids() else ""

    def files(self, release):
        """path -> content of a release (or of the unmigrated include directories)."""
        top = os.path.join(self.base, release) if release else self.root
        found = {}
        for directory in INCLUDE_DIRS:
            folder = os.path.join(top, directory)
            if not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if os.path.isfile(path) and name.endswith(".conf"):
                    with open(path, encoding="utf-8") as handle:
                        found[f"{directory}/{name}"] = handle.read()
        return found

    def manifest(self, release):
        try:
            with open(os.path.join(self.base, release, MANIFEST), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def migrated(self):
        return all(
            os.path.islink(os.path.join(self.root, d))
            and os.readlink(os.path.join(self.root, d)) == f"releases/{CURRENT}/{d}"
            for d in INCLUDE_DIRS
        )

    def _mkdir(self, path, mode=0o750):
        os.makedirs(path, mode=mode, exist_ok=True)
        os.chmod(path, mode)
        os.chown(path, self.uid, self.gid)

    def write(self, release, files, meta):
        """Write a release aside, then rename it into place (never half a release)."""
        self._mkdir(self.base)
        final = os.path.join(self.base, release)
        work = tempfile.mkdtemp(prefix=".new-", dir=self.base)
        try:
            os.chmod(work, 0o750)
            os.chown(work, self.uid, self.gid)
            for directory in INCLUDE_DIRS:
                self._mkdir(os.path.join(work, directory))
            for path, content in sorted(files.items()):
                target = os.path.join(work, path)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(content)
                os.chown(target, self.uid, self.gid)
            manifest = os.path.join(work, MANIFEST)
            with open(manifest, "w", encoding="utf-8") as handle:
                json.dump(meta, handle, indent=1, sort_keys=True)
            os.chown(manifest, self.uid, self.gid)
            os.chmod(manifest, 0o640)
            os.rename(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def remove(self, release):
        shutil.rmtree(os.path.join(self.base, release), ignore_errors=True)

    def switch(self, release):
        """Point `current` at RELEASE in one rename; make the include dirs follow it."""
        link = os.path.join(self.base, CURRENT)
        temporary = os.path.join(self.base, f".{CURRENT}-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        os.symlink(release, temporary)
        os.rename(temporary, link)
        for directory in INCLUDE_DIRS:
            path = os.path.join(self.root, directory)
            wanted = f"releases/{CURRENT}/{directory}"
            if os.path.islink(path) and os.readlink(path) == wanted:
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                # The pre-release layout: its files were kept as the initial release.
                shutil.rmtree(path)
            elif os.path.lexists(path):
                os.unlink(path)
            os.symlink(wanted, path)

    def prune(self, keep):
        current = self.current()
        for release in self.ids()[: max(0, len(self.ids()) - keep)]:
            if release != current:
                self.remove(release)


def new_release_id(files):
    digest = hashlib.sha256()
    for path, content in sorted(files.items()):
        digest.update(path.encode() + b"\0" + content.encode() + b"\0")
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    micro = f"{int(time.time() * 1_000_000) % 1_000_000:06d}"
    return f"{stamp}{micro}Z-{digest.hexdigest()[:8]}"


# ---- talking to Asterisk -------------------------------------------------------------------


def asterisk_cli(command, config=None, timeout=30):
    argv = ["asterisk"] + (["-C", config] if config else []) + ["-rx", command]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise ReleaseError(
            f"`asterisk -rx '{command}'` failed ({done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[:300]}"
        )
    return done.stdout


def loaded_state(config=None):
    return Loaded(
        contexts=parse_contexts(asterisk_cli("dialplan show", config)),
        endpoints=parse_endpoints(asterisk_cli("pjsip show endpoints", config)),
        registrations=parse_registrations(asterisk_cli("pjsip show registrations", config)),
        modules=parse_modules(asterisk_cli("module show", config)),
    )


def expectations(raw):
    return [
        Expectation(
            city=str(item.get("city", "")),
            contexts=tuple(item.get("contexts") or ()),
            endpoints=tuple(item.get("endpoints") or ()),
            registrations=tuple(item.get("registrations") or ()),
        )
        for item in raw
    ]


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def log_since(path, offset):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            if os.path.getsize(path) < offset:
                offset = 0  # rotated meanwhile
            handle.seek(offset)
            return handle.read()
    except OSError:
        return ""


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]")


def _rebind_transports(text, ports):
    """Every transport binds to 127.0.0.1 on its own free port: the candidate never takes
    the live PBX's address."""
    out, section = [], None
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            section = header["name"]
        if section and re.match(r"^\s*bind\s*=", line):
            line = f"bind = 127.0.0.1:{ports.setdefault(section, _free_port())}"
        elif re.match(r"^\s*external_(media|signaling)_address\s*=", line):
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _quiet_pjsip(text, closed_port):
    """No OPTIONS to anyone, and registrations sent to a closed loopback port."""
    out = []
    for line in text.splitlines():
        if re.match(r"^\s*qualify_frequency\s*=", line):
            line = "qualify_frequency = 0"
        elif re.match(r"^\s*server_uri\s*=", line):
            line = f"server_uri = sip:127.0.0.1:{closed_port}"
        elif re.match(r"^\s*client_uri\s*=", line):
            user = re.search(r"sip:([^@]+)@", line)
            line = f"client_uri = sip:{user.group(1) if user else 'candidate'}@127.0.0.1:{closed_port}"
        elif re.match(r"^\s*outbound_proxy\s*=", line):
            continue
        out.append(line)
    return "\n".join(out) + "\n"


class Candidate:
    """A throwaway Asterisk on the live base files plus the candidate release."""

    def __init__(self, root, files, owner, group, timeout):
        self.root = root
        self.files = files
        self.uid = pwd.getpwnam(owner).pw_uid
        self.gid = grp.getgrnam(group).gr_gid
        self.timeout = timeout
        self.dir = tempfile.mkdtemp(prefix="citypbx-candidate-", dir="/run")
        self.etc = os.path.join(self.dir, "etc")
        self.config = os.path.join(self.etc, "asterisk.conf")

    def _own(self, path):
        os.chown(path, self.uid, self.gid)

    def prepare(self):
        os.chmod(self.dir, 0o750)
        self._own(self.dir)
        for name in ("etc", "run", "log", "spool", "lib", "db", "keys", "cache"):
            os.makedirs(os.path.join(self.dir, name), mode=0o750, exist_ok=True)
            self._own(os.path.join(self.dir, name))
        closed = _free_port()
        ports = {}
        for name in sorted(os.listdir(self.root)):
            source = os.path.join(self.root, name)
            if not name.endswith(".conf") or not os.path.isfile(source):
                continue
            with open(source, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            if name == "asterisk.conf":
                text = self._asterisk_conf(text)
            elif name == "logger.conf":
                text = self._logger_conf()
            elif name == "pjsip_transports.conf":
                text = _rebind_transports(text, ports)
            elif name.startswith("pjsip"):
                text = _quiet_pjsip(text, closed)
            self._write(name, text)
        for path, content in self.files.items():
            if path.startswith("pjsip.d/"):
                content = _quiet_pjsip(content, closed)
            self._write(path, content)

    def _write(self, path, text):
        target = os.path.join(self.etc, path)
        os.makedirs(os.path.dirname(target), mode=0o750, exist_ok=True)
        self._own(os.path.dirname(target))
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(target, 0o640)
        self._own(target)

    def _asterisk_conf(self, live):
        # The live [options] (run user, limits), with the candidate's own directories.
        kept, section = [], None
        for line in live.splitlines():
            header = _SECTION.match(line)
            if header:
                section = header["name"].strip()
            if section != "directories" and not (header and section == "directories"):
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
        return "\n".join(directories + [""] + kept) + "\n"

    def _logger_conf(self):
        return "[general]\ndateformat = %F %T.%3q\n\n[logfiles]\nmessages.log => notice,warning,error\n"

    def log(self):
        return log_since(os.path.join(self.dir, "log", "messages.log"), 0)

    def start(self):
        done = subprocess.run(["asterisk", "-C", self.config], capture_output=True, text=True,
                              timeout=30, check=False)
        if done.returncode != 0:
            raise ReleaseError(f"the throwaway Asterisk did not start: {done.stderr.strip()[:300]}")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                asterisk_cli("core waitfullybooted", self.config, timeout=10)
                return
            except (ReleaseError, subprocess.TimeoutExpired):
                time.sleep(0.5)
        raise ReleaseError(f"the throwaway Asterisk did not boot within {self.timeout} s")

    def stop(self):
        pidfile = os.path.join(self.dir, "run", "asterisk.pid")
        with contextlib.suppress(Exception):
            asterisk_cli("core stop now", self.config, timeout=15)
        pid = None
        with contextlib.suppress(OSError, ValueError):
            with open(pidfile, encoding="utf-8") as handle:
                pid = int(handle.read().strip())
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


def check_candidate(module, files, expected, live_modules):
    params = module.params
    candidate = Candidate(params["root"], files, params["owner"], params["group"],
                          params["candidate_timeout"])
    try:
        candidate.prepare()
        candidate.start()
        state = loaded_state(candidate.config)
        problems = missing(state, expected)
        not_running = sorted(
            name for name, status in live_modules.items()
            if status == "Running" and state.modules.get(name) != "Running"
        )
        problems += [f"module {name} does not run" for name in not_running]
        errors = [line.line for line in config_problems(candidate.log())]
    finally:
        candidate.stop()
    if problems or errors:
        raise ReleaseError(
            "the new release did not load in a throwaway Asterisk, so it never went live"
            + _details(problems, errors)
        )


def _details(problems, errors):
    text = ""
    if problems:
        text += "; missing: " + ", ".join(problems[:20])
        if len(problems) > 20:
            text += f" and {len(problems) - 20} more"
    if errors:
        text += "; Asterisk said: " + " | ".join(errors[:10])
    return text


def probe_live(expected, log_file, offset):
    time.sleep(0.5)  # Asterisk's logger thread writes a moment after the command returns
    state = loaded_state()
    problems = missing(state, expected)
    errors = [line.line for line in config_problems(log_since(log_file, offset))]
    return problems, errors


def run_reloads(kinds):
    for kind in sorted(kinds):
        asterisk_cli(RELOADS[kind])


def reload_kind(path):
    return RELOAD_OF_DIR[path.split("/", 1)[0]]


def changed_paths(old, new):
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


# ---- the two states ------------------------------------------------------------------------


def _city(path):
    match = _CITY_FILE.match(path)
    return match["city"] if match else ""


def desired_files(module, current_files):
    files = {}
    for item in module.params["files"]:
        path, content = item.get("path"), item.get("content")
        if not isinstance(path, str) or not _PATH.match(path) or not isinstance(content, str):
            raise ReleaseError(f"file {path!r} is not a city include file; fix the renderer")
        files[path] = content
    only = set(module.params["only_cities"])
    if only:
        # Only these cities change: every other city keeps its file of the current release.
        files = {p: c for p, c in files.items() if _city(p) in only or _city(p) == ""}
        for path, content in current_files.items():
            if _city(path) not in only and _city(path) != "":
                files[path] = content
    return files


def present(module, releases):
    result = {"changed": False, "reloads": [], "changed_files": []}
    previous = releases.current()
    result["previous"] = previous
    current_files = releases.files(previous) if previous else releases.files("")
    files = desired_files(module, current_files)
    expected = expectations(module.params["expect"])
    changed = changed_paths(current_files, files)
    needs_switch = bool(changed) or not previous or not releases.migrated()
    result["changed_files"] = changed
    kinds = sorted({reload_kind(p) for p in changed})
    result["diff"] = {"before": "\n".join(sorted(current_files)) + "\n",
                      "after": "\n".join(sorted(files)) + "\n",
                      "before_header": "releases/current (paths)", "after_header": "new release"}
    if module.check_mode:
        result.update(changed=needs_switch, reloads=kinds, release=previous)
        return result
    if not needs_switch:
        offset = log_size(module.params["log_file"])
        problems, errors = probe_live(expected, module.params["log_file"], offset)
        if problems:
            raise ReleaseError(f"the current release {previous} is not fully loaded" + _details(problems, errors))
        result["release"] = previous
        return result

    live_modules = parse_modules(asterisk_cli("module show"))
    check_candidate(module, files, expected, live_modules)

    if not previous and current_files:
        # First release on a host of the pre-release layout: keep what was live as a release
        # to go back to.
        releases.write("00000000T000000000000Z-initial", current_files, {"initial": True})
        releases.switch("00000000T000000000000Z-initial")
        previous = "00000000T000000000000Z-initial"
    release = new_release_id(files)
    releases.write(release, files, {
        "files": {p: hashlib.sha256(c.encode()).hexdigest() for p, c in sorted(files.items())},
        "expect": module.params["expect"],
        "previous": previous,
    })
    offset = log_size(module.params["log_file"])
    releases.switch(release)
    kinds = sorted({reload_kind(p) for p in changed} or {"pjsip", "dialplan", "queues", "voicemail"})
    try:
        run_reloads(kinds)
        problems, errors = probe_live(expected, module.params["log_file"], offset)
    except ReleaseError as exc:
        problems, errors = [str(exc)], []
    if problems or errors:
        message = f"release {release} failed on the live Asterisk" + _details(problems, errors)
        if previous:
            releases.switch(previous)
            with contextlib.suppress(ReleaseError):
                run_reloads(kinds)
            message += f"; switched back to release {previous} and reloaded"
        releases.remove(release)
        raise ReleaseError(message)
    releases.prune(module.params["keep"])
    result.update(changed=True, release=release, previous=previous, reloads=kinds,
                  releases=releases.ids())
    return result


def rollback(module, releases):
    current = releases.current()
    ids = releases.ids()
    earlier = [r for r in ids if r < current] if current else []
    if not earlier:
        raise ReleaseError(
            f"no release before {current or '(none)'} on this host (kept: {', '.join(ids) or 'none'})"
            "; nothing to roll back to"
        )
    target = earlier[-1]
    result = {"changed": True, "previous": current, "release": target,
              "changed_files": changed_paths(releases.files(current), releases.files(target))}
    kinds = sorted({reload_kind(p) for p in result["changed_files"]})
    result["reloads"] = kinds
    if module.check_mode:
        return result
    expected = expectations(releases.manifest(target).get("expect") or [])
    offset = log_size(module.params["log_file"])
    releases.switch(target)
    run_reloads(kinds)
    problems, errors = probe_live(expected, module.params["log_file"], offset)
    if problems or errors:
        releases.switch(current)
        with contextlib.suppress(ReleaseError):
            run_reloads(kinds)
        raise ReleaseError(
            f"release {target} did not load on the live Asterisk" + _details(problems, errors)
            + f"; stayed on release {current}"
        )
    result["releases"] = releases.ids()
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["present", "rollback"], "default": "present"},
            "files": {"type": "list", "elements": "dict", "default": []},
            "only_cities": {"type": "list", "elements": "str", "default": []},
            "expect": {"type": "list", "elements": "dict", "default": []},
            "root": {"type": "path", "default": "/etc/asterisk"},
            "keep": {"type": "int", "default": 5},
            "owner": {"type": "str", "default": "asterisk"},
            "group": {"type": "str", "default": "asterisk"},
            "log_file": {"type": "path", "default": "/var/log/asterisk/messages.log"},
            "candidate_timeout": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
        # The arguments hold secrets: never log the invocation. They are not marked no_log
        # one by one because Ansible would then mask every substring of their values
        # ("kazan", "pjsip") in the result; the tasks set no_log and report errors apart.
        no_log=True,
    )
    if module.params["keep"] < 2:
        module.fail_json(msg="keep must be 2 or more: the current release and one to go back to")
    try:
        releases = Releases(module.params["root"], module.params["owner"], module.params["group"])
        if module.params["state"] == "rollback":
            result = rollback(module, releases)
        else:
            result = present(module, releases)
    except ReleaseError as exc:
        module.fail_json(msg=str(exc))
    except (OSError, KeyError, subprocess.TimeoutExpired) as exc:
        module.fail_json(msg=f"release failed: {exc}")
    result.setdefault("releases", releases.ids())
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
