"""Markdown as the site shows it: rendered, then sanitized by nh3 (no script, no event handler)."""
from __future__ import annotations

import markdown as md
import nh3


def render_markdown(text: str, tags: set[str] | None = None) -> str:
    """Markdown to sanitized HTML; `tags` narrows what nh3 keeps (default: its safe set)."""
    html = md.markdown(text or "", extensions=["tables", "sane_lists"])
    if tags is None:
        return nh3.clean(html, link_rel="noopener noreferrer nofollow")
    return nh3.clean(html, tags=tags, link_rel="noopener noreferrer nofollow")
