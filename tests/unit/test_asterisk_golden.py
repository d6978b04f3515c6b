"""The Asterisk files of the production sample: golden files, and the strict templates.

Regenerate after an intended change: .venv/bin/python tests/golden/asterisk/golden.py
When rendering moved from per-file Ansible template tasks to citypbx.plan, the output for
all 37 files of the sample was compared byte for byte with what the old tasks wrote: equal.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from resolved import HOST, production_host_vars, role_defaults

from citypbx.plan.build import build_host
from citypbx.plan.render import TEMPLATES_DIR, render_host

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "asterisk" / "production" / "etc" / "asterisk"


@pytest.fixture(scope="module")
def result():
    rendered = build_host(HOST, production_host_vars(), role_defaults())
    assert rendered.ok, [str(e) for e in rendered.report.errors]
    return rendered


def test_every_file_matches_its_golden_file(result) -> None:
    golden = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*.conf")}
    assert {f.path for f in result.files} == golden
    for file in result.files:
        assert file.content == (GOLDEN / file.path).read_text("utf-8"), file.path


def test_nine_cities_four_files_each_and_the_shared_dialplan(result) -> None:
    assert len(result.plan.cities) == 9
    assert len(result.files) == 9 * 4 + 1
    shared = [f for f in result.files if f.city == ""]
    assert [f.path for f in shared] == ["extensions.d/00-citypbx.conf"]
    assert {f.reload for f in result.files} == {"pjsip", "dialplan", "queues", "voicemail"}
    assert all(f.secret for f in result.files if f.path.startswith(("pjsip.d/", "voicemail.d/")))


def test_the_transport_is_the_one_the_settings_name(result) -> None:
    settings = result.plan.settings.model_copy(update={"transport": "transport-tcp"})
    plan = dataclasses.replace(result.plan, settings=settings)
    pjsip = next(f for f in render_host(plan) if f.path == "pjsip.d/city_kazan.conf")
    assert "transport = transport-tcp" in pjsip.content
    assert "transport-udp" not in pjsip.content


def test_a_template_reading_an_undeclared_attribute_fails(result, tmp_path: Path) -> None:
    """StrictUndefined: a typo in a template is an error, not an empty line."""
    for file in TEMPLATES_DIR.rglob("*.j2"):
        target = tmp_path / file.relative_to(TEMPLATES_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.read_text("utf-8"), "utf-8")
    broken = tmp_path / "queues.d" / "city.conf.j2"
    broken.write_text(broken.read_text("utf-8").replace("salon.members", "salon.memebrs"))
    with pytest.raises(UndefinedError, match="memebrs"):
        render_host(result.plan, tmp_path)
