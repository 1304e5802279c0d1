"""Checks on a rendered paper's layout: nothing drawn past the sheet's edge (long text wraps instead)."""

from __future__ import annotations


def text_past_the_edge(document) -> list[str]:
    """The text boxes of a WeasyPrint document that run past the right or bottom edge of their page."""
    from weasyprint.formatting_structure.boxes import TextBox

    past = []
    for page in document.pages:
        for box in page._page_box.descendants():
            if not isinstance(box, TextBox):
                continue
            right = box.position_x + box.margin_width()
            bottom = box.position_y + box.margin_height()
            if right > page.width + 0.5 or bottom > page.height + 0.5:
                past.append(box.text[:40])
    return past
