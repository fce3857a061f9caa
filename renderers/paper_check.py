"""The paper check (`biaoge check-paper`): lays a form out with WeasyPrint and inspects
the layout boxes — not pixels — for what a print designer would refuse:

- a label that wraps and strands fewer than 3 characters on its last line, or that breaks
  between a number and its unit (P01);
- a text box that overflows its cell (P02);
- anything within the footer's band, the page number's line and 3 mm above it (P03);
- a page after the first without the title, (续) and the 编号 when there is one (P04);
- a page less than a quarter used, unless it is the last page of a long table (P05);
- a signature line alone on a page, or wrapped so that a signer is cut off (P06);
- a ☐ smaller than 80% of the text height (P07);
- a label/value grid broken across two pages: the form does not fit its paper (P08).

Each problem names the form, the page and the box, in Chinese like the linter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MM = 96 / 25.4                      # CSS px per mm
FOOTER_CLEARANCE = 3 * MM
MIN_LAST_LINE = 3
MIN_USED = 0.25
MIN_BOX = 0.8
BOXES = "☐☑"

MESSAGES = {
    "P01": "标签「{label}」折行后最后一行只剩「{tail}」",
    "P02": "「{text}」超出了所在的格子（{cell}）",
    "P03": "「{text}」进入了页脚（第 N 页）的范围",
    "P04": "续页没有印表名（续）{number}",
    "P05": "这一页只用了 {used}%（不到四分之一）",
    "P06": "{what}",
    "P07": "方框「{mark}」只有文字高度的 {ratio}%（应不小于 80%）",
    "P08": "栏目表格从上一页断开，接到这一页（{what}在 {paper}纸上要印 {pages} 页）",
}


@dataclass(frozen=True)
class PaperProblem:
    code: str
    form: str           # form id
    title: str
    page: int           # 1-based, within the copy
    box: str            # which box: a label, a cell, a line
    message: str
    copy: str = ""

    def __str__(self) -> str:
        where = f"{self.title}({self.form})" + (f"〔{self.copy}〕" if self.copy else "")
        return f"{where} 第 {self.page} 页，{self.box}：[{self.code}] {self.message}"

    def as_dict(self) -> dict:
        return {"code": self.code, "form": self.form, "page": self.page, "box": self.box,
                "message": self.message, "copy": self.copy}


# ------------------------------------------------------------------ box helpers
def _descendants(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _descendants(child)


def _classes(box) -> set:
    el = getattr(box, "element", None)
    return set((el.get("class") or "").split()) if el is not None else set()


def _text(box) -> str:
    return "".join(b.text for b in _descendants(box) if hasattr(b, "text") and isinstance(b.text, str))


def _line_texts(box) -> list:
    """The text of each line box inside `box`, in order."""
    return [_text(b) for b in _descendants(box) if type(b).__name__ == "LineBox"]


def _bottom(box) -> float:
    return box.position_y + box.margin_height()


def _short(text: str, n: int = 16) -> str:
    text = re.sub(r"\s+", "", text)
    return text if len(text) <= n else text[:n] + "…"


_UNIT_BREAK = re.compile(r"[0-9０-９.]$")


def _element_boxes(root):
    """(element, [boxes]) for each element laid out on the page, in document order."""
    seen = {}

    def walk(box, parent_el):
        el = getattr(box, "element", None)
        if el is not None and el is not parent_el and type(box).__name__ not in ("TextBox", "LineBox"):
            seen.setdefault(id(el), (el, [], parent_el))[1].append(box)
            parent_el = el
        for child in getattr(box, "children", None) or []:
            walk(child, parent_el)
    walk(root, None)
    return list(seen.values())


# ------------------------------------------------------------------ the checks
def check_document(document, form, number: str = "", copy: str = "", long_table: bool = False,
                   blank: bool = True) -> list:
    """Problems of one laid-out WeasyPrint document (one copy of a form)."""
    out = []

    def add(code, page, box, **params):
        out.append(PaperProblem(code, form.id, form.title, page, box, MESSAGES[code].format(**params), copy))

    pages = document.pages
    grids_before = set()
    for index, page in enumerate(pages):
        n = index + 1
        root = page._page_box
        body_boxes = [c for c in root.children if type(c).__name__ != "MarginBox"]
        margins = [c for c in root.children if type(c).__name__ == "MarginBox"]
        content_top = root.margin_top
        content_height = root.height
        footer_top = None
        for m in margins:
            if m.at_keyword == "@bottom-center":
                tops = [b.position_y for b in _descendants(m) if type(b).__name__ == "LineBox"]
                if tops:
                    footer_top = min(tops)
        margin_text = "".join(_text(m) for m in margins)

        # every page after the first titled
        if index > 0:
            want = form.title + "（续）"
            if want not in re.sub(r"\s+", "", margin_text + "".join(_text(b) for b in body_boxes)) or \
                    (number and number not in margin_text):
                add("P04", n, "页眉", number=f"和编号 {number}" if number else "")

        lowest = content_top
        texts = []
        for body in body_boxes:
            for b in _descendants(body):
                kind = type(b).__name__
                if kind == "TextBox" and b.text.strip():
                    texts.append(b)
                if kind in ("TextBox", "TableCellBox", "BlockBox", "InlineBlockBox") and \
                        (kind != "BlockBox" or b.element_tag not in ("html", "body", "section")):
                    if kind != "TextBox" or b.text.strip():
                        lowest = max(lowest, _bottom(b) if kind != "TextBox" else b.position_y + b.height)
        # nothing within the footer's band
        if footer_top is not None:
            band = footer_top - FOOTER_CLEARANCE
            for t in texts:
                if t.position_y + t.height > band:
                    add("P03", n, f"文字「{_short(t.text)}」", text=_short(t.text))
                    break
            else:
                for body in body_boxes:
                    for b in _descendants(body):
                        if type(b).__name__ in ("TableRowBox",) and _bottom(b) > band:
                            add("P03", n, "表格的一行", text=_short(_text(b)) or "表格的一行")
                            break
                    else:
                        continue
                    break

        # little-used pages
        used = (lowest - content_top) / content_height if content_height else 1
        if used < MIN_USED and len(pages) > 1 and not (index == len(pages) - 1 and long_table):
            add("P05", n, "整页", used=round(used * 100))

        grids_here = set()
        for el, boxes, parent in _element_boxes(root):
            classes = set((el.get("class") or "").split())
            tag = el.tag
            if tag == "table" and "grid" in classes:
                grids_here.add(id(el))
                if id(el) in grids_before:
                    first = next((_text(b) for b in _descendants(boxes[0]) if type(b).__name__ == "TableRowBox"), "")
                    add("P08", n, f"栏目「{_short(first)}」", what="空白表" if blank else "这份表",
                        paper=paper_label(form), pages=len(pages))
            # labels: grid labels, table headers, header/signature labels
            if tag == "th" and "caption" not in set(((parent.get("class") if parent is not None else "")
                                                      or "").split()):
                lines = [re.sub(r"\s+", "", l) for b in boxes for l in _line_texts(b)]
                lines = [l for l in lines if l]
                if len(lines) > 1:
                    tail, label = lines[-1], "".join(lines)
                    if len(tail) < MIN_LAST_LINE or (re.search(r"[0-9０-９]$", lines[-2])
                                                     and not re.match(r"^[0-9０-９]", tail)):
                        add("P01", n, f"标签「{label}」", label=label, tail=tail)
            # text boxes overflowing their cell
            if tag in ("td", "th"):
                for cellbox in boxes:
                    left = cellbox.content_box_x() - cellbox.padding_left
                    right = left + cellbox.padding_width()
                    for t in _descendants(cellbox):
                        if type(t).__name__ == "TextBox" and t.text.strip() and \
                                t.position_x + t.width > right + 0.5:
                            add("P02", n, f"格子「{_short(_text(cellbox))}」", text=_short(t.text),
                                cell=_short(_text(cellbox), 8))
                            break
            # signature line wrapped, or alone on its page
            if "signature-line" in classes:
                box = boxes[0]
                items = [c for c in getattr(box, "children", []) if "item" in _classes(c)]
                if len(items) > 1 and len({round(c.position_y) for c in items}) > 1:
                    rows = {}
                    for c in items:
                        rows.setdefault(round(c.position_y), []).append(c)
                    if any(len(r) == 1 for r in rows.values()):
                        add("P06", n, "签字栏", what="签字栏折行后有一个签名单独占一行")
                for c in items:
                    inner = [d for d in _descendants(c) if type(d).__name__ == "LineBox"]
                    if len({round(d.position_y) for d in inner}) > 1:
                        add("P06", n, "签字栏", what=f"签字项「{_short(_text(c))}」折成了两行")
                others = [b for b in body_boxes for d in _descendants(b)
                          if type(d).__name__ in ("TableBox", "TableWrapperBox") or "title" in _classes(d)]
                if index > 0 and not others:
                    add("P06", n, "签字栏", what="签字栏单独在一页上，与表格分开了")
            # ☐ at text height: drawn as a CSS box (class "box"), not from a font
            if tag == "span" and "opt" in classes:
                for b in boxes:
                    size = b.style["font_size"]
                    for d in _descendants(b):
                        if type(d).__name__ == "InlineBlockBox" and "box" in _classes(d) and \
                                "::" not in (d.element_tag or "") and \
                                d.border_height() < MIN_BOX * size:
                            add("P07", n, f"选项「{_short(_text(b))}」", mark="☐",
                                ratio=round(100 * d.border_height() / size))
                            break
                    break
        grids_before = grids_here
        for t in texts:
            if any(ch in t.text for ch in BOXES) and t.style["color"].alpha > 0:
                add("P07", n, f"选项「{_short(t.text)}」", mark=t.text.strip()[:1], ratio=_GLYPH)
                break
    return out


_GLYPH = 50     # a ☐ from the body fonts (a fallback glyph) is about half the text height


def paper_label(form) -> str:
    from forms.paper import paper_label as label
    lay = form.layout
    return label(lay.get("paper", "A4"), lay.get("orientation", "portrait"))


def _has_long_table(form, data) -> bool:
    from .layout import build_layout
    from .print_html import paginate
    return len(paginate(build_layout(form, data), data)) > 1


def check_form(form, record=None) -> list:
    """Problems of a form, blank (record None) or filled (a renderers.base.Filled)."""
    from .layout import build_layout
    from .pdf import PdfRenderer
    renderer = PdfRenderer()
    copies = build_layout(form).copies or [""]
    docs = renderer.documents(form, record)
    number = record.number if record is not None else ""
    long_table = _has_long_table(form, record.data if record else None)
    out = []
    for copy, doc in zip(copies, docs):
        out += check_document(doc, form, number=number, copy=copy if len(copies) > 1 else "",
                              long_table=long_table, blank=record is None)
        if len(copies) > 1:
            break   # the copies differ only in their label
    return out


def blank_pages(form) -> int:
    """Pages one copy of the blank form takes: laid out only when its estimated height comes
    near a page (most forms are well within one)."""
    from .layout import build_layout
    from .pdf import PdfRenderer, print_html, font_config
    from .print_html import estimated_height, page_height
    lay = build_layout(form)
    if estimated_height(lay) < 0.9 * page_height(lay):
        return 1
    first = (lay.copies or [""])[0]
    return len(print_html(PdfRenderer().document(form, None, [first])).render(font_config=font_config()).pages)


def sample_records(form, seed: int = 1) -> list:
    """Filled records for the check: 1 row, a typical count and the most rows that fit on a
    page, for forms with tables; one record otherwise."""
    from forms.sample import sample_submission
    from forms.submission import check as check_submission
    from .base import Filled
    tables = [f for f in form.walk() if f.is_table]
    counts = [3]
    if tables:
        most = max(int(t.spec.get("x-rows", 5)) for t in tables)
        counts = sorted({1, max(1, most // 2), most})
    out = []
    for rows in counts:
        result = check_submission(form, sample_submission(form, seed=seed, rows=rows))
        if result.ok:
            out.append((rows, Filled(result.data, number="NO-0001", created="2026-11-20")))
    return out
