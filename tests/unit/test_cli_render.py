"""`citypbx render`: every file a host would receive, through Ansible's own inventory loader
and vault, with no host contacted; the same bytes as the golden files of the model path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from module_runner import load_module
from resolved import HOST, PRODUCTION, secret_for

from citypbx.inventory import load_inventory, vault_refs
from citypbx.plan.ansible_vars import resolve_host_vars

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "asterisk" / "production" / "etc" / "asterisk"
CITYPBX = REPO / ".venv" / "bin" / "citypbx"


def render(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CITYPBX), "render", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=REPO,
        env={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def production_with_test_secrets(tmp_path: Path) -> Path:
    """The production sample with its vault holding the unit tests' secrets."""
    root = tmp_path / "production"
    shutil.copytree(PRODUCTION, root)
    names = vault_refs(load_inventory(root))
    vault = root / "group_vars" / "all" / "vault.yml"
    vault.write_text(yaml.safe_dump({name: secret_for(name) for name in names}))
    return root


def test_the_sample_with_placeholder_secrets_is_refused_and_nothing_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    result = render(str(PRODUCTION), "--host", HOST, "--out", str(out))
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"host {HOST}: citypbx_city_kazan.")
    assert "secret is a placeholder" in result.stdout
    assert "FAKE" not in result.stdout  # the value itself is never shown
    assert "nothing written" in result.stderr
    assert not out.exists()


def test_render_writes_the_golden_files_privately(
    production_with_test_secrets: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = render(str(production_with_test_secrets), "--host", HOST, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"OK: 144 files for {HOST} (Asterisk for kazan, krasnodar, ")
    asterisk = out / "etc" / "asterisk"
    written = {p.relative_to(asterisk).as_posix(): p for p in asterisk.rglob("*.conf")}
    assert sorted(written) == sorted(
        p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*.conf")
    )
    for path, file in written.items():
        assert file.read_text("utf-8") == (GOLDEN / path).read_text("utf-8"), path
        assert file.stat().st_mode & 0o777 == 0o600
    assert out.stat().st_mode & 0o777 == 0o700


def test_a_directory_others_can_read_is_refused(
    production_with_test_secrets: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    result = render(str(production_with_test_secrets), "--host", HOST, "--out", str(shared))
    assert result.returncode == 2
    assert "not a private directory" in result.stderr
    assert list(shared.iterdir()) == []


def test_an_unknown_host_is_a_usage_error(tmp_path: Path) -> None:
    result = render(str(PRODUCTION), "--host", "pbx9", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "no host 'pbx9'" in result.stderr
    assert "pbx1.citypbx.example" in result.stderr  # the hosts it has are named


def test_render_writes_what_the_provisioning_playbook_publishes(
    production_with_test_secrets: Path, tmp_path: Path
) -> None:
    """The host also serves the phones: their files, as the phone files module renders them
    for playbooks/phones.yml, one credential file per phone and the nginx site."""
    out = tmp_path / "out"
    result = render(str(production_with_test_secrets), "--host", HOST, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "provisioning: 66 phone files, nginx site and credentials" in result.stdout

    variables = resolve_host_vars(production_with_test_secrets, HOST)
    module = load_module(REPO / "plugins" / "modules" / "citypbx_phone_files.py")
    published = tmp_path / "published"
    cities = {
        name.removeprefix("citypbx_city_"): value
        for name, value in variables.items()
        if name.startswith("citypbx_city_")
    }
    ran = module.run(
        {
            "cities": cities,
            "settings": variables["citypbx_phone_settings"],
            "provisioning_secret": variables["citypbx_provisioning_secret"],
            "admin_secret": variables["citypbx_phone_admin_secret"],
            "dest": str(published),
        }
    )
    assert not ran.get("failed"), ran.get("msg")
    served = out / "srv" / "citypbx-provisioning"
    assert sorted(p.name for p in served.iterdir()) == sorted(p.name for p in published.iterdir())
    for phone_file in served.iterdir():
        assert phone_file.read_bytes() == (published / phone_file.name).read_bytes()
        assert phone_file.stat().st_mode & 0o777 == 0o600

    credentials = sorted((out / "etc" / "nginx" / "citypbx-provisioning").iterdir())
    assert len(credentials) == 40  # one per phone of the sample
    assert all(c.read_text().startswith(c.stem + ":{SSHA}") for c in credentials)
    site_conf = out / "etc" / "nginx" / "sites-available" / "citypbx-provisioning.conf"
    assert f"root {variables.get('provisioning_server_root', '/srv/citypbx-provisioning')};" in (
        site_conf.read_text()
    )
