"""Render a host's plan into the files its Asterisk reads, with no host contacted.

Templates live in templates/asterisk/ at the repository root and mirror the path they land
on below /etc/asterisk. The environment is strict: a template that reads an attribute the
plan does not declare fails the render.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from .asterisk import HostPlan

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "asterisk" / "etc" / "asterisk"

# How a change to a file is applied without dropping calls (see ../shared ASTERISK.md and
# roles/asterisk/vars/main.yml). Written once: the release module on the host reads it from
# the files it is given.
ReloadClass = Literal["pjsip", "dialplan", "queues", "voicemail"]
INCLUDE_DIRS: dict[str, ReloadClass] = {
    "pjsip.d": "pjsip",
    "extensions.d": "dialplan",
    "queues.d": "queues",
    "voicemail.d": "voicemail",
}
SHARED_DIALPLAN = "extensions.d/00-citypbx.conf"


@dataclass(frozen=True)
class RenderedFile:
    """One file of a release: its path below /etc/asterisk, its text, how it is applied and
    the city it belongs to ("" for files shared by every city)."""

    path: str
    content: str
    reload: ReloadClass
    city: str
    secret: bool  # holds passwords or PINs: never shown in a diff or a log


@cache
def _environment(templates_dir: Path) -> Environment:
    # The same whitespace rules as Ansible's template module, so output did not change when
    # rendering moved from per-file template tasks to this renderer.
    return Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - Asterisk configuration, not HTML
    )


def _template(name: str, templates_dir: Path) -> Template:
    return _environment(templates_dir).get_template(name)


def render_host(plan: HostPlan, templates_dir: Path = TEMPLATES_DIR) -> list[RenderedFile]:
    """Every Asterisk file the host's cities need, sorted by path."""
    files = [
        RenderedFile(
            SHARED_DIALPLAN,
            _template(SHARED_DIALPLAN + ".j2", templates_dir).render(host=plan),
            "dialplan",
            "",
            secret=False,
        )
    ]
    for city in plan.cities:
        for directory, reload in INCLUDE_DIRS.items():
            text = _template(f"{directory}/city.conf.j2", templates_dir).render(
                city=city, settings=plan.settings
            )
            files.append(
                RenderedFile(
                    f"{directory}/city_{city.slug}.conf",
                    text,
                    reload,
                    city.slug,
                    secret=directory in {"pjsip.d", "voicemail.d"},
                )
            )
    return sorted(files, key=lambda f: f.path)
