"""Parse a definition's text (YAML or JSON) into data plus the line and column of every path.

PyYAML's composer gives each node a start mark; we build the data from the
nodes ourselves so that every key path can be mapped back to file:line:col.
The resolver is narrowed to what office staff mean: only true/false are
booleans (not yes/no/on/off) and dates stay strings (2024-01-31 is text for
JSON Schema's `format: date`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml

from .errors import Problem

Path = tuple  # of str | int


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass
class Source:
    """Parsed file: data, positions (path -> (line, col), 1-based) and parse problems."""
    filename: str
    data: object = None
    positions: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def locate(self, path: Path) -> tuple[int, int]:
        """Position of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))


def parse(text: str, filename: str) -> Source:
    src = Source(filename)
    if "\t" in text:
        for n, line in enumerate(text.splitlines(), 1):
            indent = line[: len(line) - len(line.lstrip())]
            if "\t" in indent:
                src.problems.append(Problem("tab-indent", (), filename, n, indent.index("\t") + 1))
                return src
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^(\s*(?:-\s+)?)([A-Za-z$][\w$-]*)(：|:(?=[^\s]))", line)
        if m and not line.strip().startswith("#") and "://" not in line:
            src.problems.append(Problem("syntax", (), filename, n, len(m.group(1)) + len(m.group(2)) + 1,
                                        detail="关键字后的冒号必须是半角冒号 ':'，且后面要有空格"))
            return src
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            src.problems.append(Problem("empty-file", (), filename, 1, 1))
            return src
        src.data = _build(node, (), src, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = exc.problem or str(exc)
        if filename.endswith(".json"):
            try:
                json.loads(text)
            except json.JSONDecodeError as jexc:
                line, col, detail = jexc.lineno, jexc.colno, jexc.msg
        src.problems.append(Problem("syntax", (), filename, line, col, detail=_yaml_detail(detail)))
    finally:
        loader.dispose()
    return src


_YAML_DETAILS = {
    "mapping values are not allowed here": "此处不能出现冒号（通常是缩进不对，或值里有未加引号的冒号）",
    "did not find expected key": "缩进不一致：同一层的关键字必须左对齐",
    "did not find expected '-' indicator": "列表缩进不一致：同一列表的 - 必须左对齐",
    "could not find expected ':'": "缺少冒号 ':'",
    "found character that cannot start any token": "有无法识别的字符（例如制表符或全角符号）",
    "found undefined alias": "引用了未定义的别名",
    "expected <block end>, but found '<block mapping start>'": "缩进不一致：这一行比上一层多缩进了",
    "expected <block end>, but found '<block sequence start>'": "缩进不一致：列表项的缩进不对",
    "expected <block end>, but found '-'": "缩进不一致：列表项的缩进不对",
}


def _yaml_detail(detail: str) -> str:
    for en, zh in _YAML_DETAILS.items():
        if detail.startswith(en):
            return zh
    return detail


def _build(node, path: Path, src: Source, loader):
    src.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.MarkedYAMLError(problem="keys must be plain text", problem_mark=key_node.start_mark)
            key = str(loader.construct_object(key_node))
            child = path + (key,)
            if key in out:
                src.problems.append(Problem("duplicate-key", child, src.filename,
                                            key_node.start_mark.line + 1, key_node.start_mark.column + 1, key=key))
            src.positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _build(value_node, child, src, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), src, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node)
