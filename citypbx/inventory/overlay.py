"""An inventory that is an overlay of another: it takes cities and company data from a base
inventory's files and declares only what differs.

`group_vars/all/overlay.yml` of the overlay inventory (a file of group_vars, so that Ansible
does not take it for an inventory source), variable `citypbx_overlay`:

    citypbx_overlay:
      base: ../production        # the inventory whose files are taken (relative to this one)
      cities: [kazan]            # citypbx_city_<slug> from base's group_vars/city_<slug>.yml
      company: [operators, holidays]   # citypbx_<name> from base's group_vars/all/<name>.yml
      overrides:                 # what differs, by city; lists of objects are keyed by id
        kazan:
          trunks:
            kazan-tattelecom: {server: 127.0.0.20}

Rules of `overrides` (fail closed: a typo is an error, never a silent no-op):
  - a mapping overrides the keys it names, each of which must exist in the base;
  - a list of objects (trunks, salons, menus, extensions, phones, numbers) is addressed by
    each object's id (`id`, or `number`, `extension`, `mac` where those identify it);
  - any other value replaces the base value whole.
Read by the directory validator (loader.py) and, for Ansible, by the vars plugin
plugins/vars/citypbx_overlay.py: one implementation, so both see the same data.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from .issues import Issue, Loc, show
from .yamlio import YamlSyntaxError, parse_yaml

OVERLAY_FILE = "group_vars/all/overlay.yml"
OVERLAY_VARIABLE = "citypbx_overlay"
_AT = (OVERLAY_VARIABLE,)
_KEYS = ("id", "number", "extension", "mac")  # what identifies an object in a list
_COMPANY = {"operators", "holidays"}
_SLUG = re.compile(r"[a-z][a-z0-9_]*")  # as validate.SLUG: a name, never a path
_FIELDS = {"base", "cities", "company", "overrides", "isolate_trunks"}


@dataclass
class Overlay:
    """overlay.yml, read."""

    base: Path  # absolute
    cities: list[str] = field(default_factory=list)
    company: list[str] = field(default_factory=list)
    overrides: dict[str, object] = field(default_factory=dict)
    # A lab: every trunk taken must be pointed elsewhere (server, and match for IP trunks), so
    # a trunk added to the base later never makes the lab talk to a real operator.
    isolate_trunks: bool = False


@dataclass(frozen=True)
class OverlaidVariable:
    """A variable the overlay supplies: its value with the overrides applied."""

    name: str
    value: object
    base_file: Path  # the base inventory's file it comes from
    group: str  # the group it belongs to (city_<slug> or all)


def read_overlay(root: Path) -> tuple[Overlay | None, list[Issue]]:
    """The overlay of the inventory at ROOT, or None when it is none."""
    path = root / OVERLAY_FILE
    if not path.is_file():
        return None, []
    try:
        data, problems = parse_yaml(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, YamlSyntaxError) as exc:
        return None, [Issue(OVERLAY_FILE, (), f"cannot be read ({exc}); fix the file")]
    issues = [Issue(OVERLAY_FILE, loc, message) for loc, message in problems]
    if not isinstance(data, dict) or not isinstance(data.get(OVERLAY_VARIABLE), dict):
        issues.append(
            Issue(
                OVERLAY_FILE,
                _AT,
                "must be a mapping with base, cities, company, overrides"
                "; write those keys under citypbx_overlay:",
            )
        )
        return None, issues
    data = data[OVERLAY_VARIABLE]
    for key in data:
        if key not in _FIELDS:
            issues.append(
                Issue(OVERLAY_FILE, (*_AT, key), f"unknown key; use {', '.join(sorted(_FIELDS))}")
            )
    base = data.get("base")
    if not isinstance(base, str) or not (root / base / "hosts.yml").is_file():
        issues.append(
            Issue(
                OVERLAY_FILE,
                (*_AT, "base"),
                "must name an inventory directory holding hosts.yml"
                "; write it relative to this one, e.g. ../production",
            )
        )
        return None, issues
    overlay = Overlay((root / base).resolve())
    overlay.cities = _names(data, "cities", None, issues)
    isolate = data.get("isolate_trunks", False)
    if not isinstance(isolate, bool):
        issues.append(
            Issue(
                OVERLAY_FILE,
                (*_AT, "isolate_trunks"),
                "must be true or false; write true or false without quotes",
            )
        )
    overlay.isolate_trunks = isolate is True
    overlay.company = _names(data, "company", _COMPANY, issues)
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        issues.append(
            Issue(
                OVERLAY_FILE,
                (*_AT, "overrides"),
                "must be a mapping of city slug to changes; write one 'slug:' per city",
            )
        )
        return overlay, issues
    issues += [
        Issue(OVERLAY_FILE, (*_AT, "overrides", slug), "not a city of `cities`; add it there")
        for slug in overrides
        if slug not in overlay.cities
    ]
    overlay.overrides = dict(overrides)
    return overlay, issues


def _names(
    data: dict[object, object], key: str, allowed: set[str] | None, issues: list[Issue]
) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        issues.append(Issue(OVERLAY_FILE, (*_AT, key), "must be a list of names; fix it"))
        return []
    for index, name in enumerate(value):
        if allowed is not None and name not in allowed:
            issues.append(
                Issue(
                    OVERLAY_FILE,
                    (*_AT, key, index),
                    f"{show(name)} is not allowed here; use one of {', '.join(sorted(allowed))}",
                )
            )
        elif allowed is None and not _SLUG.fullmatch(name):
            issues.append(
                Issue(
                    OVERLAY_FILE,
                    (*_AT, key, index),
                    f"{show(name)} is not a city slug; write the slug of a city_<slug> group "
                    "(a-z, 0-9 and _, letter first)",
                )
            )
    return [str(name) for name in value]


def _key_of(item: object) -> str | None:
    if isinstance(item, dict):
        for key in _KEYS:
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def apply_overrides(base: object, change: object, loc: Loc) -> tuple[object, list[Issue]]:
    """BASE with CHANGE applied (see the module's rules); issues are located in overlay.yml."""
    issues: list[Issue] = []
    if isinstance(change, dict) and isinstance(base, dict):
        result = copy.deepcopy(base)
        for key, value in change.items():
            if key not in base:
                issues.append(
                    Issue(
                        OVERLAY_FILE,
                        (*loc, key),
                        "overrides a key the base does not have; "
                        "fix its spelling (an overlay only changes what exists)",
                    )
                )
                continue
            result[key], more = apply_overrides(base[key], value, (*loc, key))
            issues += more
        return result, issues
    if isinstance(change, dict) and isinstance(base, list) and all(_key_of(i) for i in base):
        result_list = copy.deepcopy(base)
        index = {_key_of(item): position for position, item in enumerate(base)}
        for key, value in change.items():
            if key not in index:
                known = ", ".join(str(k) for k in index)
                issues.append(
                    Issue(
                        OVERLAY_FILE, (*loc, key), f"no such item in the base; use one of {known}"
                    )
                )
                continue
            result_list[index[key]], more = apply_overrides(base[index[key]], value, (*loc, key))
            issues += more
        return result_list, issues
    return copy.deepcopy(change), issues


def _load(path: Path) -> tuple[object, list[Issue]]:
    try:
        data, problems = parse_yaml(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, YamlSyntaxError) as exc:
        return None, [
            Issue(
                OVERLAY_FILE,
                (*_AT, "base"),
                f"{path}: cannot be read ({exc}); fix that file of the base inventory",
            )
        ]
    return data, [
        Issue(OVERLAY_FILE, (*_AT, "base"), f"{path}: {message}") for _, message in problems
    ]


def overlaid_variables(overlay: Overlay) -> tuple[list[OverlaidVariable], list[Issue]]:
    """Every variable the overlay supplies, overrides applied."""
    found: list[OverlaidVariable] = []
    issues: list[Issue] = []
    for index, slug in enumerate(overlay.cities):
        if not _SLUG.fullmatch(slug):
            continue  # reported by read_overlay; a name is part of a path: never read it
        name = f"citypbx_city_{slug}"
        path = overlay.base / "group_vars" / f"city_{slug}.yml"
        data, problems = _load(path)
        issues += problems
        if not isinstance(data, dict) or name not in data:
            issues.append(
                Issue(
                    OVERLAY_FILE,
                    (*_AT, "cities", index),
                    f"{path} defines no {name}; define it there or remove the city from cities",
                )
            )
            continue
        change = overlay.overrides.get(slug, {})
        value, more = apply_overrides(data[name], change, (*_AT, "overrides", slug))
        issues += more
        if overlay.isolate_trunks:
            issues += _unisolated(data[name], change, slug)
        found.append(OverlaidVariable(name, value, path, f"city_{slug}"))
    for index, item in enumerate(overlay.company):
        if item not in _COMPANY:
            continue  # reported by read_overlay (the base's vault.yml is not company data)
        name = f"citypbx_{item}"
        path = overlay.base / "group_vars" / "all" / f"{item}.yml"
        data, problems = _load(path)
        issues += problems
        if not isinstance(data, dict) or name not in data:
            issues.append(
                Issue(
                    OVERLAY_FILE,
                    (*_AT, "company", index),
                    f"{path} defines no {name}; define it there or remove it from company",
                )
            )
            continue
        found.append(OverlaidVariable(name, data[name], path, "all"))
    return found, issues


def _unisolated(city: object, change: object, slug: str) -> list[Issue]:
    """Trunks of CITY the overrides do not point elsewhere (isolate_trunks)."""
    trunks = city.get("trunks") if isinstance(city, dict) else None
    changed = change.get("trunks") if isinstance(change, dict) else None
    changed = changed if isinstance(changed, dict) else {}
    issues = []
    for trunk in trunks if isinstance(trunks, list) else []:
        if not isinstance(trunk, dict) or not isinstance(trunk.get("id"), str):
            continue
        needed = ["server"] + (["match"] if trunk.get("auth") == "ip" else [])
        given = changed.get(trunk["id"])
        missing = [k for k in needed if not (isinstance(given, dict) and k in given)]
        if missing:
            issues.append(
                Issue(
                    OVERLAY_FILE,
                    (*_AT, "overrides", slug, "trunks", trunk["id"]),
                    f"isolate_trunks: the base's trunk would reach its real operator; override "
                    f"{' and '.join(missing)} to point it at the lab",
                )
            )
    return issues
