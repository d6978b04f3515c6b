"""One model, two modes: the files on disk (reference mode) and what Ansible resolved for a
host (resolved mode: secrets are values, checked for strength, never echoed)."""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from resolved import HOST, PRODUCTION, production_host_vars

from citypbx.inventory import validate
from citypbx.inventory.models import City
from citypbx.inventory.resolved import validate_host
from citypbx.inventory.types import secrets_context

KZ = "citypbx_city_kazan"
WHERE = f"host {HOST}"


def errors_of(variables: dict[str, Any]) -> list[str]:
    return [str(issue) for issue in validate_host(HOST, variables).errors]


def test_the_same_sample_passes_in_both_modes() -> None:
    on_disk = validate(PRODUCTION)
    assert on_disk.ok, [str(e) for e in on_disk.errors]
    resolved = validate_host(HOST, production_host_vars())
    assert resolved.ok, [str(e) for e in resolved.errors]
    assert resolved.company is not None
    assert on_disk.company is not None
    assert sorted(resolved.company.cities) == sorted(on_disk.company.cities)
    # Same model, same content, but for the secrets.
    for slug, city in on_disk.company.cities.items():
        other = resolved.company.cities[slug]
        assert [t.id for t in other.trunks] == [t.id for t in city.trunks]
        assert [s.id for s in other.salons] == [s.id for s in city.salons]


def test_reference_mode_refuses_a_resolved_secret() -> None:
    data = production_host_vars()[KZ]
    with pytest.raises(ValueError, match="clear text"):
        City.model_validate(data, context=secrets_context("reference"))
    City.model_validate(data, context=secrets_context("resolved"))


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("short1", "too short (6 characters, at least 16)"),
        ("FAKE-change-me-with-ansible-vault", "placeholder"),
        ("{{ vault_ext_2101_secret }}", "was not resolved"),
        ("abababababababababab", "too few characters"),
        (123456789012345678, "must be text"),
    ],
)
def test_weak_secrets_are_refused_with_host_and_key_and_never_echoed(
    value: object, fragment: str
) -> None:
    variables = production_host_vars()
    variables[KZ]["salons"][0]["extensions"][0]["secret"] = value
    errors = errors_of(variables)
    prefix = f"{WHERE}: {KZ}.salons[0].extensions[0].secret: "
    assert [e for e in errors if e.startswith(prefix) and fragment in e], errors
    if isinstance(value, str) and "{{" not in value:
        assert not [e for e in errors if value in e], "a secret was echoed"


def test_an_operator_password_may_be_shorter_than_our_own_secrets() -> None:
    variables = production_host_vars()
    variables[KZ]["trunks"][0]["password"] = "Op3rat0r!"  # 9 characters, as issued
    assert errors_of(variables) == []
    variables[KZ]["trunks"][0]["password"] = "op1"
    assert errors_of(variables) == [
        f"{WHERE}: {KZ}.trunks[0].password: secret is too short (3 characters, at least 8); "
        "generate a new one, e.g. openssl rand -base64 24"
    ]


def test_a_city_group_without_data_and_missing_company_data_are_named() -> None:
    variables = production_host_vars()
    del variables[KZ]
    del variables["citypbx_operators"]
    errors = errors_of(variables)
    assert f"{WHERE}: {KZ}: city group city_kazan has no data; define {KZ}" in errors
    assert (
        f"{WHERE}: citypbx_operators: not defined; define citypbx_operators for this host" in errors
    )


def test_destinations_must_be_served_by_the_same_host() -> None:
    """A salon of a city the host does not serve has no context on this PBX."""
    variables = production_host_vars()
    variables["group_names"] = ["all", "city_kazan", "pbx"]
    variables[KZ]["salons"][0]["no_answer"] = "salon:moscow-arbat"
    errors = errors_of(variables)
    assert errors == [
        f"{WHERE}: {KZ}.salons[0].no_answer: no salon 'moscow-arbat' in any city; "
        "use an existing salon id"
    ]


def test_every_error_is_reported_at_once() -> None:
    variables = production_host_vars()
    variables[KZ]["trunks"][0]["port"] = "5060"
    variables["citypbx_city_ufa"]["timezone"] = "Mars/Olympus"
    variables[KZ]["salons"][1]["extensions"][0]["secret"] = "weak"
    errors = errors_of(variables)
    assert len(errors) == 3, errors
    assert errors == sorted(errors)


# Anything in place of any value: the validator reports, it never raises.
_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


_BASE = production_host_vars()
_PATHS = [p for p in _paths(_BASE) if p]


@given(path=st.sampled_from(_PATHS), value=_ODD)
def test_odd_resolved_data_is_reported_never_raised(path: tuple[Any, ...], value: object) -> None:
    variables = copy.deepcopy(_BASE)
    node = variables
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    report = validate_host(HOST, variables)
    for issue in report.errors:
        line = str(issue)
        assert line.startswith(f"{WHERE}: "), line
        assert "; " in line, line
    assert report.ok == (report.company is not None)


@pytest.mark.parametrize(
    "value",
    [
        "Abcdefghijklmnop;qualify=1",  # `;` starts a comment in Asterisk's files
        "Abcdefghijklmnop\nqualify_frequency = 1",  # a newline writes a line of its own
        " Abcdefghijklmnopq",
        'Abcdefghij"klmnopq',
        "Abcdefghij\\klmnopq",
    ],
)
def test_a_secret_that_cannot_sit_in_a_config_line_is_refused(value: str) -> None:
    """Found by review: a resolved secret went verbatim into pjsip.conf."""
    variables = production_host_vars()
    variables[KZ]["trunks"][0]["password"] = value
    errors = errors_of(variables)
    prefix = f"{WHERE}: {KZ}.trunks[0].password: "
    assert [e for e in errors if e.startswith(prefix) and "character" in e], errors
    assert not [e for e in errors if value.strip() in e]


def test_a_trunk_username_that_cannot_sit_in_a_config_line_is_refused() -> None:
    variables = production_host_vars()
    variables[KZ]["trunks"][0]["username"] = "8435550100;x"
    errors = errors_of(variables)
    assert [e for e in errors if f"{KZ}.trunks[0].username: " in e], errors


def test_a_pbx_host_in_no_city_group_is_refused() -> None:
    """Found by review: a host left out of every city group deployed an empty release."""
    variables = production_host_vars()
    variables["group_names"] = ["all", "pbx"]
    assert errors_of(variables) == [
        f"{WHERE}: group_names: the host is in no city_<slug> group, so a rollout would remove "
        "every city from it; add it to the city groups it serves under `cities` in the inventory"
    ]


# ---- secrets that are missing or shared (issue 8) ------------------------------------------

EXT0 = f"{KZ}.salons[0].extensions[0].secret"
EXT1 = f"{KZ}.salons[0].extensions[1].secret"


@pytest.mark.parametrize("value", ["", None])
def test_an_empty_secret_is_refused_as_empty(value: object) -> None:
    variables = production_host_vars()
    variables[KZ]["salons"][0]["extensions"][0]["secret"] = value
    assert errors_of(variables) == [
        f"{WHERE}: {EXT0}: secret is empty; generate one, e.g. openssl rand -base64 24"
    ]


def test_the_shortest_accepted_secret_has_16_characters() -> None:
    variables = production_host_vars()
    variables[KZ]["salons"][0]["extensions"][0]["secret"] = "Kx7pQ2mZ9vLr4Tw"  # 15
    assert [e for e in errors_of(variables) if "too short (15 characters" in e], errors_of(
        variables
    )
    variables[KZ]["salons"][0]["extensions"][0]["secret"] = "Kx7pQ2mZ9vLr4TwB"  # 16
    assert errors_of(variables) == []


def test_secrets_as_the_lab_generates_them_are_accepted() -> None:
    """lab/secrets.sh: 24 random bytes in base64 without / + = (about 30 characters)."""
    variables = production_host_vars()
    for index, salon in enumerate(variables[KZ]["salons"]):
        for e_index, extension in enumerate(salon["extensions"]):
            raw = hashlib.sha256(f"lab-{index}-{e_index}".encode()).digest()[:24]
            extension["secret"] = (
                base64.b64encode(raw).decode().translate(str.maketrans("", "", "/+="))
            )
    assert errors_of(variables) == []


def test_a_secret_shared_by_two_extensions_is_refused_without_showing_it() -> None:
    """Two phones with one secret: a stolen phone's file registers as the other one too."""
    variables = production_host_vars()
    extensions = variables[KZ]["salons"][0]["extensions"]
    extensions[1]["secret"] = extensions[0]["secret"]
    errors = errors_of(variables)
    assert errors == [
        f"{WHERE}: {EXT1}: secret is the same as the one at {WHERE}: {EXT0}; give each "
        "extension its own secret, e.g. openssl rand -base64 24"
    ]
    assert extensions[0]["secret"] not in errors[0]


def test_a_secret_shared_across_cities_is_refused() -> None:
    variables = production_host_vars()
    ufa = variables["citypbx_city_ufa"]["salons"][0]["extensions"][0]
    ufa["secret"] = variables[KZ]["salons"][0]["extensions"][0]["secret"]
    errors = errors_of(variables)
    assert len(errors) == 1, errors
    assert "secret is the same as the one at" in errors[0]


def test_an_extension_secret_equal_to_a_trunk_password_is_refused() -> None:
    variables = production_host_vars()
    variables[KZ]["salons"][0]["extensions"][0]["secret"] = variables[KZ]["trunks"][0]["password"]
    errors = errors_of(variables)
    assert len(errors) == 1, errors
    assert "secret is the same as the one at" in errors[0]
    assert f"{KZ}.trunks[0].password" in errors[0]
    assert variables[KZ]["trunks"][0]["password"] not in errors[0]


def test_trunks_may_share_what_an_operator_issued() -> None:
    """Trunk passwords come from the operators' contracts: the company does not choose them."""
    variables = production_host_vars()
    trunks = [
        t
        for name, city in variables.items()
        if name.startswith("citypbx_city_")
        for t in city["trunks"]
        if t.get("password")
    ]
    trunks[1]["password"] = trunks[0]["password"]
    assert errors_of(variables) == []


def test_a_trunk_password_equal_to_an_earlier_extension_secret_is_refused() -> None:
    variables = production_host_vars()
    kazan_secret = variables[KZ]["salons"][0]["extensions"][0]["secret"]
    later = variables["citypbx_city_ufa"]["trunks"][0]
    later["password"] = kazan_secret
    errors = errors_of(variables)
    assert [e for e in errors if "citypbx_city_ufa.trunks[0].password: secret is the same" in e]
