"""PDF building blocks shared by every report: the bundled DejaVu fonts (every Kazakh
letter: ә ғ қ ң ө ұ ү һ і; licence in lms/core/fonts/LICENSE-DejaVu.txt) and paragraph
styles, so no document depends on the fonts of the machine it runs on."""
from __future__ import annotations

from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@lru_cache(maxsize=1)
def register_fonts() -> None:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)


@lru_cache(maxsize=1)
def styles() -> dict:
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    register_fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=REGULAR, fontSize=10.5, leading=14)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=BOLD, fontSize=18, leading=23),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName=BOLD, fontSize=15, leading=19),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=BOLD, fontSize=12.5, leading=16),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontName=BOLD, fontSize=11, leading=14),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=4),
    }


class _Blocks(HTMLParser):
    """Sanitized HTML (from Markdown) into reportlab flowables: headings, paragraphs,
    list items and code; inline bold, italics and links are kept, the rest is text."""

    INLINE = {"strong": "b", "b": "b", "em": "i", "i": "i", "code": "font face='DejaVuSans'"}
    BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "td", "th"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[tuple[str, str]] = []
        self.buf: list[str] = []
        self.block = "p"

    def _flush(self):
        text = "".join(self.buf).strip()
        if text:
            self.out.append((self.block, text))
        self.buf = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._flush()
            self.block = tag
        elif tag in self.INLINE:
            self.buf.append(f"<{self.INLINE[tag]}>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.buf.append(f'<a href="{escape(href, {chr(34): "&quot;"})}" color="blue">' if href else "<a>")
        elif tag == "br":
            self.buf.append("<br/>")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._flush()
            self.block = "p"
        elif tag in self.INLINE:
            self.buf.append(f"</{self.INLINE[tag].split()[0]}>")
        elif tag == "a":
            self.buf.append("</a>")

    def handle_data(self, data):
        self.buf.append(escape(data))


def html_flowables(html: str) -> list:
    from reportlab.platypus import Paragraph, Spacer

    s = styles()
    parser = _Blocks()
    parser.feed(html or "")
    parser.close()
    parser._flush()
    out = []
    for block, text in parser.out:
        if block in ("h1", "h2"):
            out.append(Paragraph(text, s["h2"]))
        elif block in ("h3", "h4", "h5", "h6"):
            out.append(Paragraph(text, s["h3"]))
        elif block == "li":
            out.append(Paragraph(text, s["bullet"], bulletText="•"))
        else:
            out.append(Paragraph(text, s["body"]))
        out.append(Spacer(1, 3))
    return out
