"""Cross-role names are declared: asterisk_city reads of the asterisk role only what that role
exports (the facts it sets for the roles that build on it), never its inputs or privates."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CITY_ROLE = REPO / "roles" / "asterisk_city"
_NAME = re.compile(r"\b_?asterisk_[a-z0-9_]+")
_JINJA = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.DOTALL)
_RAW_EXPRESSIONS = ("that", "when", "failed_when", "changed_when", "until")


def expressions(path: Path) -> list[str]:
    """What Jinja evaluates in PATH: {{ }} and {% %} blocks, and the raw expressions of
    conditionals. Prose (comments, messages naming a variable as the fix) is not read."""
    text = path.read_text("utf-8")
    found = [a or b for a, b in _JINJA.findall(text)]
    if path.suffix == ".yml":

        def walk(node: object) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in _RAW_EXPRESSIONS:
                        found.extend(
                            v
                            for v in (value if isinstance(value, list) else [value])
                            if isinstance(v, str)
                        )
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(yaml.safe_load(text))
    return found


def exported_by_the_asterisk_role() -> set[str]:
    tasks = yaml.safe_load((REPO / "roles/asterisk/tasks/configure.yml").read_text())
    exported: set[str] = set()
    for task in tasks:
        if "Export" in task.get("name", ""):
            exported |= set(task["ansible.builtin.set_fact"])
    return exported


def test_the_asterisk_role_exports_its_transports_and_account() -> None:
    assert exported_by_the_asterisk_role() == {"asterisk_transports", "asterisk_service_account"}


def test_asterisk_city_uses_only_its_own_names_and_the_exported_ones() -> None:
    allowed = exported_by_the_asterisk_role()
    used: dict[str, set[str]] = {}
    for path in sorted(CITY_ROLE.rglob("*")):
        if path.is_file() and path.suffix in {".yml", ".j2"} and path.name != "README.md":
            for name in (n for e in expressions(path) for n in _NAME.findall(e)):
                if not name.startswith(("asterisk_city", "_asterisk_city")) and name not in allowed:
                    used.setdefault(name, set()).add(path.relative_to(REPO).as_posix())
    assert used == {}, f"asterisk_city reads names the asterisk role does not export: {used}"


def test_the_scan_reads_expressions_not_prose(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.yml"
    tasks.write_text(
        "- name: x\n"
        "  ansible.builtin.file:\n"
        '    owner: "{{ asterisk_user }}"\n'
        "  when: asterisk_max_calls > 0\n"
        "  # asterisk_sip_protocols is named in a comment only\n"
    )
    names = {n for e in expressions(tasks) for n in _NAME.findall(e)}
    assert names == {"asterisk_user", "asterisk_max_calls"}
