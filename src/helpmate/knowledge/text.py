"""Turning the text of real directory feeds into clean, readable text.

Real feeds carry HTML (``<p>``, ``&nbsp;``), literal backslash-n sequences instead of line
breaks, area tags such as ``###MON###`` and mojibake: UTF-8 punctuation decoded as cp437 and
then with Γ flattened to G (``GÇÖ`` for ``’``), or decoded as cp1252 (``â€™``).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table"}
_CP437_MOJIBAKE = re.compile(r"[GΓ]Ç(.)")
_AREA_TAG = re.compile(r"###[A-Z]{2,5}###")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _fix_cp437(match: re.Match[str]) -> str:
    try:
        return (b"\xe2\x80" + match.group(1).encode("cp437")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return match.group(0)


def fix_mojibake(text: str) -> str:
    text = _CP437_MOJIBAKE.sub(_fix_cp437, text)
    if any(marker in text for marker in ("â€", "Ã", "Â")):
        import ftfy  # ~40 ms; only needed for cp1252 mojibake, which is rare

        text = ftfy.fix_text(text, normalization="NFC")
    return text


def clean_text(raw: object) -> str:
    """Plain text from a feed field: HTML stripped, breaks repaired, mojibake fixed."""
    if raw is None:
        return ""
    text = str(raw)
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", " ").replace("\r\n", "\n")
    if "<" in text and ">" in text:
        parser = _TextExtractor()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    else:
        text = html.unescape(text)
    text = fix_mojibake(text)
    text = _AREA_TAG.sub("", text)
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    # A lone line break inside a paragraph reads better as a space, except before a list item.
    text = re.sub(r"(?<!\n)\n(?![\n-])", " ", text)
    return text


def one_line(text: str, limit: int = 160) -> str:
    """The first sentence or so of a text, for a reason line or a table cell."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    stop = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if stop > limit // 3:
        return cut[: stop + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…"


def looks_like_instructions(text: str) -> bool:
    """True when a record's text addresses the assistant rather than the reader (a prompt injection
    in a directory feed): such text is kept as data but never quoted as a reason nor sent to a
    model. The detector and its patterns live in ``helpmate.knowledge.injection``."""
    from helpmate.knowledge.injection import looks_like_instructions as detect  # loads the patterns once

    return detect(text)
