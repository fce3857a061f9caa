"""Rendering a stored record within bounds of time and memory.

A record that is small (most are) renders in this process. A large one — many line items or
much text, whose layout may take seconds and hundreds of megabytes — renders in a child
process forked from a clean fork server (preloaded with the renderers), with its address
space capped (RLIMIT_AS) and a deadline: past either, the child is stopped and the caller gets
`RenderLimitError` with a Chinese message, while this process stays as it was (its memory is
not the child's). Submissions are bounded (forms.limits) so that a record at every cap renders
well within the defaults; the bounds here catch what gets past them (old records, bigger
definitions, a slow machine).
"""
from __future__ import annotations

import multiprocessing
import resource
from dataclasses import dataclass

from renderers import base

SMALL_ROWS = 80          # line items, all tables together, rendered in-process
SMALL_CHARS = 20_000     # characters of text, all fields together


@dataclass(frozen=True)
class RenderLimits:
    seconds: float = 120.0
    memory_mb: int = 1536


class RenderLimitError(RuntimeError):
    """A rendering went past its bounds; the message is Chinese."""


def size_of(data) -> tuple[int, int]:
    """(line items, characters of text) of a record's data, counted without recursion."""
    rows = chars = 0
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            rows += sum(isinstance(x, dict) for x in v)
            stack.extend(v)
        elif isinstance(v, str):
            chars += len(v)
    return rows, chars


def is_small(filled) -> bool:
    if filled is None:
        return True
    rows, chars = size_of(filled.data)
    return rows <= SMALL_ROWS and chars <= SMALL_CHARS


def render_record(fmt: str, form, definition: dict, filled, limits: RenderLimits = RenderLimits()) -> bytes:
    """The record (or the blank form) in format `fmt`; large records in a bounded child process.
    `definition` is the form's frozen definition (what the child compiles)."""
    renderer = base.get(fmt)
    if is_small(filled):
        return renderer.render(form, filled)
    return _in_child(fmt, definition, filled, limits, renderer.label)


_context = None


def _mp_context():
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["services.rendering", "renderers.pdf", "renderers.overlay", "renderers.xlsx",
                                    "weasyprint"])
        _context = ctx
    return _context


def _child(conn, fmt, definition, filled, memory_mb):
    try:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from forms.definition import compile_frozen
        content = base.get(fmt).render(compile_frozen(definition), filled)
        conn.send(("ok", content))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        conn.close()


def _in_child(fmt, definition, filled, limits: RenderLimits, label: str) -> bytes:
    ctx = _mp_context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fmt, definition, filled, limits.memory_mb), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(limits.seconds):
            raise RenderLimitError(f"这条记录太大，{limits.seconds:.0f} 秒内未能生成{label}，已停止。"
                                   f"请减少明细行数或文字后重试，或联系管理员。")
        try:
            status, payload = parent.recv()
        except EOFError:   # killed by the system, typically for memory
            status, payload = "memory", None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    if status == "ok":
        return payload
    if status == "memory":
        raise RenderLimitError(f"这条记录太大，生成{label}所需内存超过 {limits.memory_mb} MB，已停止。"
                               f"请减少明细行数或文字后重试，或联系管理员。")
    raise RuntimeError(f"{label}生成失败：{payload}")
