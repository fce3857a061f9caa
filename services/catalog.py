"""The catalog: every definition under a folder, compiled. One bad file never stops the others.

Files named `_*.yaml` are not forms: `_shared.yaml` holds shared fields. The core
(`forms`) compiles what it is given; reading the folder is this service's job.
`CatalogCache` recompiles when a file changes (the server's hot reload).
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from forms.definition import check_shared, compile_definition
from forms.errors import Problem, suggestion
from forms.flow import check_roles, problem_for_role
from forms.policy import check_sensitive, compile_policy, open_policy
from forms.report_source import compile_sources
from forms.source import parse

EXTENSIONS = (".yaml", ".yml", ".json")
SHARED_FILE = "_shared.yaml"


@dataclass(eq=False)
class Catalog:
    root: Path
    forms: dict = field(default_factory=dict)          # id -> Form
    problems: list = field(default_factory=list)       # every Problem of every file
    files: dict = field(default_factory=dict)          # file -> Form or None
    policy: object = None                              # forms.policy.Policy of _org.yaml
    org_file: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def get(self, form_id: str):
        """A form by id (or by its Chinese title)."""
        if form_id in self.forms:
            return self.forms[form_id]
        for form in self.forms.values():
            if form.title == form_id:
                return form
        return None

    def by_chapter(self) -> dict:
        """Forms grouped by chapter: chapters in the seed's order (第一章, 第二章 … by their number,
        then unnumbered ones as their files come), forms in file order within a chapter
        (schemas/NN-chapter/NN-form.yaml sorts as the paper binder)."""
        groups: dict = {}
        for form in sorted(self.forms.values(), key=lambda f: f.filename):
            groups.setdefault(form.chapter or "未分章", []).append(form)
        order = {c: (chapter_number(c), i) for i, c in enumerate(groups)}
        return {c: groups[c] for c in sorted(groups, key=order.get)}

    def require(self, form_id: str):
        form = self.get(form_id)
        if form is None:
            raise KeyError(form_id)
        return form


_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def chapter_number(chapter: str) -> float:
    """第三章 → 3, 第十二章 → 12; a chapter without a number sorts after the numbered ones."""
    m = re.match(r"第([一二三四五六七八九十]+|\d+)章", chapter or "")
    if not m:
        return float("inf")
    text = m.group(1)
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        text = "一" + text
    tens, _, ones = text.partition("十")
    return (_NUMERALS[tens] * 10 + (_NUMERALS[ones] if ones else 0)) if "十" in text else _NUMERALS[text]


def _read(path: Path, display: str):
    try:
        return path.read_text("utf-8"), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem("read-failed", (), display, 1, 1, detail=str(exc))


def definition_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [Path(dirpath) / n for n in sorted(filenames)
                if n.endswith(EXTENSIONS) and not n.startswith((".", "_"))]
    return out


def shared_file(root: Path) -> Path | None:
    for candidate in ([root] + list(root.parents)) if root.is_dir() else list(root.parents):
        if (candidate / SHARED_FILE).is_file():
            return candidate / SHARED_FILE
        if (candidate / "pyproject.toml").exists():
            break
    return None


def load_catalog(root, display_root: Path | None = None) -> Catalog:
    """Load all definitions under `root` (a folder or one file)."""
    root = Path(root)
    cat = Catalog(root)
    base = display_root or Path.cwd()

    def show(p: Path) -> str:
        try:
            return str(p.resolve().relative_to(base.resolve()))
        except ValueError:
            return str(p)

    shared = None   # no _shared.yaml: a definition's x-use says so
    sf = shared_file(root)
    if sf is not None:
        text, problem = _read(sf, show(sf))
        if problem:
            cat.problems.append(problem)
            shared = {}
        else:
            shared, problems = check_shared(parse(text, show(sf)))
            cat.problems += problems
    seen: dict = {}
    sources: dict = {}      # form id -> its parsed source (to place later problems)
    for path in definition_files(root):
        name = show(path)
        text, problem = _read(path, name)
        if problem:
            cat.problems.append(problem)
            cat.files[name] = None
            continue
        src = parse(text, name)
        form, problems = compile_definition(src, shared)
        fid = _declared_id(src.data)
        if fid in seen:
            line, col = src.locate(("x-form", "id"))
            problems.append(Problem("duplicate-id", ("x-form", "id"), name, line, col, value=fid, other=seen[fid]))
            form = None
        elif fid:
            seen[fid] = name
        cat.problems += problems
        cat.files[name] = form
        if form is not None:
            cat.forms[form.id] = form
            sources[form.id] = src
    _load_policy(cat, root, show, sources)
    _check_report_sources(cat, sources)
    return cat


def _check_report_sources(cat, sources: dict) -> None:
    """A report's x-source names other forms: checked once every form is compiled."""
    for form in cat.forms.values():
        for name, path, params in compile_sources(form, cat.forms)[1]:
            line, col = sources[form.id].locate(path)
            cat.problems.append(Problem(name, path, form.filename, line, col, **params))


ORG_FILE = "_org.yaml"


def _load_policy(cat, root: Path, show, sources: dict) -> None:
    """The organisation and its roles (_org.yaml beside _shared.yaml), checked against the forms."""
    found = next((d / ORG_FILE for d in ([root] + list(root.parents)) if (d / ORG_FILE).is_file()), None) \
        if root.is_dir() else None
    if found is None:
        cat.policy = open_policy()
        return
    text, problem = _read(found, show(found))
    if problem:
        cat.problems.append(problem)
        cat.policy = open_policy()
        return
    src = parse(text, show(found))
    chapters: dict = {}
    for form in cat.forms.values():
        chapters.setdefault(form.chapter, []).append(form.id)
    policy, problems = compile_policy(src, {f.id: f.title for f in cat.forms.values()}, chapters)
    cat.problems += problems
    for form, f, cls in check_sensitive(policy, cat.forms.values()):
        line, col = sources[form.id].locate(f.def_path + ("x-sensitive",))
        cat.problems.append(Problem("sensitive-unknown", f.def_path + ("x-sensitive",), form.filename, line, col,
                                    title=f.title, value=cls, suggestion=suggestion(cls, policy.classes)))
    for form in cat.forms.values():
        if form.flow is not None:
            for path, role in check_roles(form.flow, policy.roles):
                cat.problems.append(problem_for_role(path, role, policy.roles, form.filename, sources[form.id].locate))
    cat.policy = policy
    cat.org_file = show(found)


def _declared_id(data):
    meta = data.get("x-form") if isinstance(data, dict) else None
    fid = meta.get("id") if isinstance(meta, dict) else None
    return fid if isinstance(fid, str) else None


class CatalogCache:
    """Recompiles the definitions when any file under the folder is added, removed or
    changed (by name, size and modification time), checked on every call of current()."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._fingerprint = None
        self._catalog = None

    def fingerprint(self):
        """(path, size, mtime) of every definition-like file (os.scandir: one stat per file)."""
        items, folders = [], [str(self.root)]
        while folders:
            try:
                entries = list(os.scandir(folders.pop()))
            except OSError:
                continue
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    folders.append(e.path)
                elif e.name.endswith(EXTENSIONS) and e.is_file():
                    st = e.stat()
                    items.append((e.path, st.st_size, st.st_mtime_ns))
        return tuple(sorted(items))

    def current(self) -> Catalog:
        fp = self.fingerprint()
        with self._lock:
            if fp != self._fingerprint:
                self._catalog = load_catalog(self.root, display_root=self.root.parent)
                self._fingerprint = fp
            return self._catalog
