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
_MERGE_TAG = "tag:yaml.org,2002:merge"  # the `<<` key
_VALUE_TAG = "tag:yaml.org,2002:value"  # the `=` key: plain text as a key (PyYAML's reading)
# Limits that refuse hostile files, each far beyond any real inventory (the sample's biggest
# file is 7 levels deep and builds about 300 values):
MAX_DEPTH = 64  # levels of nesting, as written or through aliases (&a [*a] is endless)
# Values built from one file, keys included, an alias counting each time it is used (a
# "billion laughs" file of 500 bytes builds 9**9 values). 100,000 is 300 times the sample's
# biggest file, about 1,500 salons in one city; the refusal comes after well under a second.
MAX_NODES = 100_000


@dataclass(frozen=True)
class VaultValue:
    """An inline `!vault` value (ansible-vault encrypt_string). Present, but not decrypted."""

    ciphertext: str = field(repr=False)

    def __str__(self) -> str:
        return "<!vault>"


class YamlSyntaxError(Exception):
    """The file is not valid YAML; the message names line and column."""


class YamlRefusedError(YamlSyntaxError):
    """Valid YAML refused before it is built: nested too deeply, or it expands to too many
    values (an alias bomb). The message is a finished `<what is wrong>; <how to fix it>`;
    `loc` is where building stopped (() when composing, before any key is known)."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _too_deep(where: str, loc: Loc = ()) -> YamlRefusedError:
    return YamlRefusedError(
        loc,
        f"nested more than {MAX_DEPTH} levels deep{where}; an inventory needs a handful of "
        "levels: flatten the structure",
    )


class _Loader(yaml.SafeLoader):
    """SafeLoader plus the tags Ansible adds (`!vault`, `!unsafe`), composing at most
    MAX_DEPTH levels: PyYAML's composer recurses once per level and would otherwise reach
    Python's recursion limit on a file of brackets."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self._depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call] # untyped stub
            raise _too_deep(f" at line {mark.line + 1}, column {mark.column + 1}")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


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

    Raises YamlSyntaxError when the text is not YAML at all (or holds several documents), and
    YamlRefusedError (a YamlSyntaxError) for a file nested too deeply or expanding to
    more than MAX_NODES values: refused quickly, in little memory, before it is built.
    """
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            # Not reached with MAX_DEPTH, but a caller deep in its own stack could get here.
            raise YamlRefusedError(
                (),
                "nested too deeply to be read; an inventory needs a handful of levels: "
                "flatten the structure",
            ) from None
        if node is None:
            return None, []
        builder = _Builder(loader)
        return builder.build(node, ()), builder.problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"YAML syntax error{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}") from exc
    finally:
        loader.dispose()


class _Builder:
    """Plain data from the node graph, counting what it builds against MAX_NODES."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.problems: list[tuple[Loc, str]] = []
        self.built = 0

    def _count(self, loc: Loc) -> None:
        self.built += 1
        if self.built > MAX_NODES:
            raise YamlRefusedError(
                loc,
                f"expands to more than {MAX_NODES:,} values, each alias counted every time it "
                "is used (a YAML bomb?); write the values out instead of nesting aliases",
            )

    def build(self, node: Node, loc: Loc) -> object:
        self._count(loc)
        if len(loc) > MAX_DEPTH:
            self.problems.append(
                (loc, "nested too deeply (recursive alias?); simplify the structure")
            )
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                self.problems.append((loc, f"unsupported YAML tag {node.tag}; remove the tag"))
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            return self._scalar(node, loc)
        self.problems.append((loc, "unsupported YAML node; write a plain value, list or mapping"))
        return None

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[object, object]:
        if node.tag != _MAP_TAG:
            self.problems.append((loc, f"unsupported YAML tag {node.tag}; remove the tag"))
        own: dict[object, object] = {}
        merged: dict[object, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problems.append((loc, "a mapping key must be a plain value; fix the key"))
                continue
            if key_node.tag == _MERGE_TAG:
                self._merge(value_node, (*loc, "<<"), merged, 0)
                continue
            key = self._scalar(key_node, loc)
            if key in own:
                self.problems.append(
                    ((*loc, key), "duplicate key: the later value silently wins; keep one")
                )
            own[key] = self.build(value_node, (*loc, key))
        # YAML's merge: merged keys first, in their order; the mapping's own keys win.
        result = {
            key: self.build(value, (*loc, key)) for key, value in merged.items() if key not in own
        }
        result.update(own)
        return result

    def _merge(self, node: Node, loc: Loc, merged: dict[object, Node], depth: int) -> None:
        """Add the pairs `<<: NODE` brings (a mapping, or a list of them: earlier ones win)
        to MERGED, keys not built yet; a merged mapping's own merges are followed too."""
        self._count(loc)
        if depth > MAX_DEPTH:
            raise _too_deep(" through merge keys (<<)", loc)
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.problems.append(
                    (loc, "a merge key (<<) takes a mapping or a list of mappings; fix the value")
                )
                continue
            inherited: dict[object, Node] = {}
            for key_node, value_node in source.value:
                self._count(loc)
                if not isinstance(key_node, ScalarNode):
                    continue  # reported where that mapping itself is built
                if key_node.tag == _MERGE_TAG:
                    self._merge(value_node, loc, inherited, depth + 1)
                    continue
                merged.setdefault(self._scalar(key_node, loc), value_node)
            for key, value in inherited.items():
                merged.setdefault(key, value)

    def _scalar(self, node: ScalarNode, loc: Loc) -> object:
        if node.tag == _VALUE_TAG:
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            # An unquoted but impossible date such as 2026-02-30: keep the text, the
            # models then say what is wrong with it.
            return node.value
        except yaml.constructor.ConstructorError as exc:
            self.problems.append((loc, f"{exc.problem}; remove or fix the tag"))
            return node.value  # reported once here; the models then see the plain text
