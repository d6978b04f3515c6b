#!/usr/bin/python
"""Ansible module: activate the rendered Asterisk city files as a release, tested first."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: citypbx_asterisk_release
short_description: Activate a host's Asterisk city files as a release, tested before it is live
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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.citypbx_asterisk_release import (
    Options,
    ReleaseError,
    kept_releases,
    present,
    rollback,
)


def main() -> None:
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
    params = module.params
    if params["keep"] < 2:  # noqa: PLR2004 - the current release and one to go back to
        module.fail_json(msg="keep must be 2 or more: the current release and one to go back to")
    options = Options(
        root=params["root"],
        files=params["files"],
        only_cities=params["only_cities"],
        expect=params["expect"],
        keep=params["keep"],
        owner=params["owner"],
        group=params["group"],
        log_file=params["log_file"],
        candidate_timeout=params["candidate_timeout"],
        check_mode=module.check_mode,
    )
    try:
        result = rollback(options) if params["state"] == "rollback" else present(options)
        result["releases"] = kept_releases(options)
    except ReleaseError as exc:
        module.fail_json(msg=str(exc))
    except (OSError, KeyError) as exc:
        module.fail_json(msg=f"release failed on {params['root']}: {exc}")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
