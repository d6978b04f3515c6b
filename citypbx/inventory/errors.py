"""Translate pydantic's ValidationError into Issues located in the inventory files."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from .issues import Issue, Loc, show, wrong_type
from .models import KNOWN_KEYS
from .types import ERROR_TYPE

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_SECRET_KEYS = ("password", "secret", "pin")


def is_secret_key(key: object) -> bool:
    """`password`, `secret`, `pin` and names ending in `_password` / `_secret` / `_pin`."""
    return isinstance(key, str) and any(
        key == word or key.endswith(f"_{word}") for word in _SECRET_KEYS
    )


def issues_from_validation_error(exc: ValidationError, file: str, base: Loc) -> list[Issue]:
    """One Issue per pydantic error; `base` is the key path of the validated variable."""
    issues = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        on_key = bool(loc) and loc[-1] == "[key]"
        if on_key:
            loc = loc[:-1]  # an invalid mapping key: report it at the key itself
        message = _message(error, loc)
        if on_key:
            message = f"key {message}"
        issues.append(Issue(file, (*base, *loc), message))
    return issues


def _message(error: Any, loc: Loc) -> str:  # noqa: ANN401 - pydantic's ErrorDetails is a TypedDict
    kind: str = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    secret = bool(loc) and is_secret_key(loc[-1])
    if kind == ERROR_TYPE:
        return str(ctx["reason"])
    if kind == "missing":
        return "required key is missing; add it"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), KNOWN_KEYS, n=1, cutoff=0.7) if loc else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key{hint}; remove it or fix its spelling"
    if kind in _EXPECTED:
        return wrong_type(_EXPECTED[kind], value, secret=secret)
    if kind == "literal_error":
        return f"{show(value)} is not allowed; use one of {ctx.get('expected', '?')}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} item(s); add one"
    # Not expected with these models, but still one clean line rather than a traceback.
    got = "" if secret else f" (got {show(value)})"
    return f"{error['msg']}{got}; fix the value"
