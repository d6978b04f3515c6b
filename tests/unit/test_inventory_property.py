"""Property: whatever is done to the sample's YAML, validate() never raises and every finding is
one well-formed line `<file>: <key path>: <what is wrong>; <how to fix it>`."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PRODUCTION
from hypothesis import given
from hypothesis import strategies as st

from citypbx.inventory import validate

FILES = sorted(p.relative_to(PRODUCTION).as_posix() for p in PRODUCTION.rglob("*.yml"))
ORIGINAL = {f: yaml.safe_load((PRODUCTION / f).read_text("utf-8")) for f in FILES}

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_QUOTED = r'\["(?:[^"\\]|\\.)*"\]'  # a JSON string in brackets
_PATH = rf"(?:\(file\)|(?:{_NAME}|{_QUOTED})(?:\.{_NAME}|\[\d+\]|{_QUOTED})*)"
LINE = re.compile(rf"(?P<file>[^:\s][^:\n]*): (?P<path>{_PATH}): [^\n]+; [^\n]+")

Loc = tuple[Any, ...]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**12),
    st.floats(allow_nan=False),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    st.dates(),
    st.sampled_from(
        [
            "",
            "+78435550100",
            "+74955550100",
            "salon:kazan-baumana",
            "voicemail:moscow-arbat",
            "extension:2101",
            "hangup",
            "{{ vault_ext_2101_secret }}",
            "{{ vault_missing }}",
            "mon-fri 09:00-18:00",
            "80:5e:c0:00:00:01",
            "kazan-tattelecom",
            "2101",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _locs(node: Any, loc: Loc = ()) -> Iterator[Loc]:
    yield loc
    if isinstance(node, dict):
        for key, item in node.items():
            yield from _locs(item, (*loc, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _locs(item, (*loc, index))


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def _swapped(node: Any) -> Any:
    """The same content in another YAML type."""
    if isinstance(node, str):
        return int(node) if node.isdigit() else len(node)
    if isinstance(node, bool | int | float):
        return str(node)
    if isinstance(node, list):
        return {str(i): item for i, item in enumerate(node)}
    if isinstance(node, dict):
        return list(node.values())
    return ""


@st.composite
def mutated_files(draw: st.DrawFn) -> dict[str, Any]:
    """One to three mutations, each in a random place of a random file."""
    files: dict[str, Any] = {}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        file = draw(st.sampled_from(FILES))
        root = {"doc": files.get(file, copy.deepcopy(ORIGINAL[file]))}  # root is replaceable
        loc = ("doc", *draw(st.sampled_from(list(_locs(root["doc"])))))
        parent, key = _get(root, loc[:-1]), loc[-1]
        kind = draw(st.sampled_from(["delete", "replace", "duplicate", "swap"]))
        if kind == "delete" and len(loc) > 1:
            del parent[key]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif kind == "swap":
            parent[key] = _swapped(parent[key])
        else:
            parent[key] = draw(values)
        files[file] = root["doc"]
    return files


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("property") / "production"
    shutil.copytree(PRODUCTION, root)
    return root


@given(files=mutated_files())
def test_random_mutations_never_crash_and_report_clean_lines(
    sample_dir: Path, files: dict[str, Any]
) -> None:
    try:
        for file, data in files.items():
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            (sample_dir / file).write_text(text, "utf-8")
        report = validate(sample_dir)
    finally:
        for file in files:
            shutil.copyfile(PRODUCTION / file, sample_dir / file)
    for issue in (*report.errors, *report.warnings):
        assert LINE.fullmatch(str(issue)), str(issue)
        assert not Path(issue.file).is_absolute()
    json.dumps([issue.as_dict() for issue in report.errors])
    assert report.ok == (report.errors == ())
    assert (report.company is not None) == report.ok


def test_line_pattern_accepts_quoted_keys() -> None:
    line = 'hosts.yml: all.children.pbx.hosts["pbx1: x"]: host is odd; rename it'
    assert LINE.fullmatch(line)
    assert not LINE.fullmatch("hosts.yml: something without a fix")


# The same mutations on staging's overlay.yml (an overlay of production, read by the loader
# before any model). Found when first run: findings that were not `<what>; <fix>` lines.
STAGING = PRODUCTION.parent / "staging"
OVERLAY = "group_vars/all/overlay.yml"
OVERLAY_ORIGINAL = yaml.safe_load((STAGING / OVERLAY).read_text("utf-8"))


@st.composite
def mutated_overlay(draw: st.DrawFn) -> Any:
    root = {"doc": copy.deepcopy(OVERLAY_ORIGINAL)}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        loc = ("doc", *draw(st.sampled_from(list(_locs(root["doc"])))))
        parent, key = _get(root, loc[:-1]), loc[-1]
        kind = draw(st.sampled_from(["delete", "replace", "swap"]))
        if kind == "delete" and len(loc) > 1:
            del parent[key]
        elif kind == "swap":
            parent[key] = _swapped(parent[key])
        else:
            parent[key] = draw(values)
    return root["doc"]


@pytest.fixture(scope="module")
def staging_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("property-overlay")
    shutil.copytree(PRODUCTION, root / "production")
    shutil.copytree(STAGING, root / "staging", ignore=shutil.ignore_patterns("vault.yml"))
    return root / "staging"


@given(overlay=mutated_overlay())
def test_random_overlay_mutations_never_crash_and_report_clean_lines(
    staging_dir: Path, overlay: Any
) -> None:
    (staging_dir / OVERLAY).write_text(yaml.safe_dump(overlay, allow_unicode=True), "utf-8")
    report = validate(staging_dir, skip_encrypted=True)
    for issue in (*report.errors, *report.warnings):
        assert LINE.fullmatch(str(issue)), str(issue)
    assert (report.company is not None) == report.ok
