"""Render a host's plan into the files its Asterisk reads, with no host contacted.

Templates live in templates/asterisk/ at the repository root and mirror the path they land
on below /etc/asterisk. The environment is strict: a template that reads an attribute the
plan does not declare fails the render.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from ..asterisk.release import RELOAD_OF_DIR, reload_kind
from .asterisk import HostPlan

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "asterisk" / "etc" / "asterisk"

# The include directories and how a change to each is applied without dropping calls are the
# release's facts (citypbx/asterisk/release.py, which the PBX runs): written there once.
INCLUDE_DIRS = tuple(RELOAD_OF_DIR)
SHARED_DIALPLAN = "extensions.d/00-citypbx.conf"


@dataclass(frozen=True)
class RenderedFile:
    """One file of a release: its path below /etc/asterisk, its text, how it is applied and
    the city it belongs to ("" for files shared by every city)."""

    path: str
    content: str
    reload: str  # pjsip, dialplan, queues or voicemail (release.RELOADS)
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


def strict_template(name: str, templates_dir: Path) -> Template:
    """Template NAME of TEMPLATES_DIR, strict (an undefined name is an error), with
    Ansible's whitespace rules: the one Jinja environment of every citypbx renderer."""
    return _environment(templates_dir).get_template(name)


def render_host(plan: HostPlan, templates_dir: Path = TEMPLATES_DIR) -> list[RenderedFile]:
    """Every Asterisk file the host's cities need, sorted by path."""
    files = [
        RenderedFile(
            SHARED_DIALPLAN,
            strict_template(SHARED_DIALPLAN + ".j2", templates_dir).render(host=plan),
            reload_kind(SHARED_DIALPLAN),
            "",
            secret=False,
        )
    ]
    for city in plan.cities:
        for directory in INCLUDE_DIRS:
            text = strict_template(f"{directory}/city.conf.j2", templates_dir).render(
                city=city, settings=plan.settings, host=plan
            )
            files.append(
                RenderedFile(
                    f"{directory}/city_{city.slug}.conf",
                    text,
                    RELOAD_OF_DIR[directory],
                    city.slug,
                    secret=directory in {"pjsip.d", "voicemail.d"},
                )
            )
    return sorted(files, key=lambda f: f.path)
