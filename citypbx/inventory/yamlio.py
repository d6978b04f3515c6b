"""Reading Ansible-flavoured YAML without surprises.

Builds plain Python data from PyYAML's node graph so that every problem (duplicate keys, unknown
tags, impossible dates) is reported with its key path instead of raising mid-file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .issues import Loc

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAX_DEPTH = 64  # deeper than any real inventory; stops recursive aliases (&a [*a])


@dataclass(frozen=True)
class VaultValue:
    """An inline `!vault` value (ansible-vault encrypt_string). Present, but not decrypted."""

    ciphertext: str = field(repr=False)

    def __str__(self) -> str:
        return "<!vault>"


class YamlSyntaxError(Exception):
    """The file is not valid YAML; the message names line and column."""


class _Loader(yaml.SafeLoader):
    """SafeLoader plus the tags Ansible adds: `!vault` and `!unsafe`."""


def _construct_vault(loader: yaml.SafeLoader, node: Node) -> VaultValue:
    if not isinstance(node, ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, "!vault must tag a string (the encrypted text)", node.start_mark
        )
    return VaultValue(loader.construct_scalar(node))


def _construct_unsafe(loader: yaml.SafeLoader, node: Node) -> str:
    if not isinstance(node, ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, "!unsafe must tag a string", node.start_mark
        )
    return loader.construct_scalar(node)


_Loader.add_constructor("!vault", _construct_vault)
_Loader.add_constructor("!unsafe", _construct_unsafe)


def parse_yaml(text: str) -> tuple[object, list[tuple[Loc, str]]]:
    """Parse one YAML document. Returns the data and the problems found at key paths.

    Raises YamlSyntaxError when the text is not YAML at all (or holds several documents).
    """
    loader = _Loader(text)
    problems: list[tuple[Loc, str]] = []
    try:
        node = loader.get_single_node()
        data = None if node is None else _build(loader, node, (), problems)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"YAML syntax error{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}") from exc
    finally:
        loader.dispose()
    return data, problems


def _build(loader: _Loader, node: Node, loc: Loc, problems: list[tuple[Loc, str]]) -> object:
    if len(loc) > _MAX_DEPTH:
        problems.append((loc, "nested too deeply (recursive alias?); simplify the structure"))
        return None
    if isinstance(node, MappingNode):
        return _build_mapping(loader, node, loc, problems)
    if isinstance(node, SequenceNode):
        if node.tag != _SEQ_TAG:
            problems.append((loc, f"unsupported YAML tag {node.tag}; remove the tag"))
        return [_build(loader, item, (*loc, i), problems) for i, item in enumerate(node.value)]
    if isinstance(node, ScalarNode):
        return _build_scalar(loader, node, loc, problems)
    problems.append((loc, "unsupported YAML node; write a plain value, list or mapping"))
    return None


def _build_mapping(
    loader: _Loader, node: MappingNode, loc: Loc, problems: list[tuple[Loc, str]]
) -> dict[object, object]:
    if node.tag != _MAP_TAG:
        problems.append((loc, f"unsupported YAML tag {node.tag}; remove the tag"))
    loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
    result: dict[object, object] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            problems.append((loc, "a mapping key must be a plain value; fix the key"))
            continue
        key = _build_scalar(loader, key_node, loc, problems)
        if key in result:
            problems.append(((*loc, key), "duplicate key: the later value silently wins; keep one"))
        result[key] = _build(loader, value_node, (*loc, key), problems)
    return result


def _build_scalar(
    loader: _Loader, node: ScalarNode, loc: Loc, problems: list[tuple[Loc, str]]
) -> object:
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        # An unquoted but impossible date such as 2026-02-30: keep the text, the
        # models then say what is wrong with it.
        return node.value
    except yaml.constructor.ConstructorError as exc:
        problems.append((loc, f"{exc.problem}; remove or fix the tag"))
        return node.value  # reported once here; the models then see the plain text
