"""Load and run the repository's Ansible modules in tests, the two ways Ansible would."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def load_module(path: Path) -> ModuleType:
    """Import the module file at PATH (to call its functions directly)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@dataclass(frozen=True)
class ModuleRun:
    """What one run of a module printed and returned."""

    result: dict[str, Any]
    returncode: int
    stdout: str
    stderr: str


def run_module(path: Path, args: dict[str, Any], tmp_path: Path) -> ModuleRun:
    """Run the module at PATH as Ansible does: its own process, arguments as JSON."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    # Ansible ships plugins/module_utils/ beside the module; here they are found by adding
    # that directory to the ansible.module_utils package before the module runs.
    bootstrap = (
        "import runpy, sys, ansible.module_utils as utils;"
        f"utils.__path__.append({str(REPO / 'plugins' / 'module_utils')!r});"
        "sys.argv = sys.argv[1:];"
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    completed = subprocess.run(
        [sys.executable, "-c", bootstrap, str(path), str(args_file)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        result = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"{path.name} printed no JSON (exit {completed.returncode}):\n"
            f"{completed.stdout}{completed.stderr}"
        ) from None
    return ModuleRun(result, completed.returncode, completed.stdout, completed.stderr)


def run_playbook(plays: list[dict[str, Any]], tmp_path: Path, inventory: str) -> str:
    """Run PLAYS with ansible-playbook and the repository's ansible.cfg; stdout and stderr."""
    import yaml  # noqa: PLC0415 - only the playbook tests need it

    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(plays))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, str(playbook)],
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    return done.stdout + done.stderr
