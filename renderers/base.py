"""One renderer interface and an explicit registry.

A format is one module with one `Renderer` subclass, registered once with
`@register`; nothing else in the code branches on the format name. The PDF
renderer subclasses the print-HTML renderer (as nbconvert's WebPDFExporter
builds on HTMLExporter).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Filled:
    """What a filled rendering needs besides the form: the normalized data and
    the record's metadata (编号, when it was made)."""
    data: dict
    number: str = ""
    created: str = ""          # ISO date of submission
    void: str = ""             # "作废" when the record is voided: printed across it (and beside its 编号)
    link: str = ""             # the record's address (printed as a QR code with the 编号); "" when it has none
    signatures: dict = field(default_factory=dict)   # signer field's dotted path -> [PNG data: URI] (handwritten)


class DoesNotFit(ValueError):
    """A record this format cannot hold whole (a text longer than a spreadsheet cell takes, more
    rows than a sheet has): the message is Chinese and says what does not fit. Renderers refuse
    rather than cut anything short."""


class Renderer:
    name: str = ""             # format name used on the command line and in URLs
    extension: str = ""
    media_type: str = ""
    label: str = ""            # Chinese name shown to users

    def render(self, form, record: Filled | None = None) -> bytes:
        """Blank form when `record` is None, else the filled record."""
        raise NotImplementedError


_REGISTRY: dict[str, Renderer] = {}


def register(cls):
    """Class decorator: add a renderer; a second one with the same name is refused."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY:
        raise ValueError(f"renderer {cls.name!r} is already registered by {type(_REGISTRY[cls.name]).__name__}")
    _REGISTRY[cls.name] = cls()
    return cls


def get(name: str) -> Renderer:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"未知的格式“{name}”，可用：{'、'.join(sorted(_REGISTRY))}") from None


def names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def _load_builtin():
    # Importing a module registers its renderer; the list of modules is the only place formats are named.
    from . import html, overlay, pdf, print_html, xlsx  # noqa: F401
