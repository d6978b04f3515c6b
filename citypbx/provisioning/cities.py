"""The cities the phone builder takes: `City` models validated in resolved mode.

The builder (build.py) reads typed models only, their secrets being the values themselves.
Two ways to get them, both reporting every problem of every city at once in one
ProvisioningError, each line `city <slug>: citypbx_city_<slug>.<key path>: <problem>; <fix>`:
  - `validate_cities`: city data as Ansible resolved it (plain data by slug);
  - `resolve_cities`: reference-mode models (a Company validated from the files on disk, its
    secrets `{{ vault_* }}` references) and the vault values by name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pydantic import BaseModel, ValidationError

from ..inventory.errors import issues_from_validation_error
from ..inventory.issues import Issue, Loc, sorted_issues
from ..inventory.models import City
from ..inventory.types import VAULT_REFERENCE, secrets_context
from ..inventory.yamlio import VaultValue
from .errors import ProvisioningError

_RESOLVED = secrets_context("resolved")


def city_variable(slug: str) -> str:
    """The inventory variable of a city: `citypbx_city_<slug>`."""
    return f"citypbx_city_{slug}"


def validate_cities(cities: Mapping[str, object]) -> dict[str, City]:
    """City data as Ansible resolved it ({slug: data}) -> resolved-mode City models."""
    issues: list[Issue] = []
    validated = {slug: _validate(slug, data, issues) for slug, data in cities.items()}
    _raise_if(issues)
    return {slug: city for slug, city in validated.items() if city is not None}


def resolve_cities(cities: Mapping[str, City], vault: Mapping[str, str]) -> dict[str, City]:
    """Cities with every `{{ vault_<name> }}` replaced by `vault[<name>]`, in resolved mode.

    Every reference must have a value, trunk passwords included (a resolved City holds
    values only); inline `!vault` values cannot be decrypted here. The values are then checked
    for strength like Ansible's (validate_cities). Cities already in resolved mode come back
    equal.
    """
    issues: list[Issue] = []
    resolved: dict[str, City] = {}
    for slug, city in cities.items():
        where, base = f"city {slug}", (city_variable(slug),)
        problems = [
            Issue(
                where,
                (*base, *loc),
                "secret is an inline !vault value, which cannot be decrypted here; use a "
                "{{ vault_* }} reference, or pass the city data as Ansible resolves it",
            )
            for loc in _inline_vault_values(city, ())
        ]
        missing: list[tuple[Loc, str]] = []
        data = _substitute(city.model_dump(), vault, (), missing)
        problems += [
            Issue(where, (*base, *loc), f"no value for {name}; add it to the vault values")
            for loc, name in missing
        ]
        if problems:
            issues += problems
        elif (checked := _validate(slug, data, issues)) is not None:
            resolved[slug] = checked
    _raise_if(issues)
    return resolved


def _validate(slug: str, data: object, issues: list[Issue]) -> City | None:
    try:
        return City.model_validate(data, context=_RESOLVED)
    except ValidationError as exc:
        issues += issues_from_validation_error(exc, f"city {slug}", (city_variable(slug),))
        return None


def _raise_if(issues: list[Issue]) -> None:
    if issues:
        lines = [str(issue) for issue in sorted_issues(issues)]
        raise ProvisioningError(f"{len(lines)} error(s) in the city data:\n" + "\n".join(lines))


def _inline_vault_values(node: object, loc: Loc) -> Iterator[Loc]:
    """Key paths of the `!vault` values in a model (its dump would hide them)."""
    if isinstance(node, VaultValue):
        yield loc
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _inline_vault_values(getattr(node, name), (*loc, name))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _inline_vault_values(item, (*loc, index))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _inline_vault_values(item, (*loc, key))


def _substitute(
    node: object, vault: Mapping[str, str], loc: Loc, missing: list[tuple[Loc, str]]
) -> object:
    """NODE (dumped model data) with each `{{ vault_* }}` string replaced, as Ansible would;
    references without a value are added to MISSING (key path, vault name)."""
    if isinstance(node, dict):
        return {key: _substitute(item, vault, (*loc, key), missing) for key, item in node.items()}
    if isinstance(node, list):
        return [_substitute(item, vault, (*loc, i), missing) for i, item in enumerate(node)]
    if isinstance(node, str) and (reference := VAULT_REFERENCE.fullmatch(node.strip())):
        if reference[1] in vault:
            return vault[reference[1]]
        missing.append((loc, reference[1]))
    return node
