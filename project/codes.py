"""Codes people read aloud, type or scan: one alphabet for short codes, and one way to draw a QR code.

Join codes (families), check-in codes and pickup codes (activities) are drawn
from the alphabets here, so no code anywhere has look-alikes that an elderly
resident could mistype (no 0/O, no 1/I/L). QR codes (certificates' check
links, the venue's check-in) are drawn by ``qr_svg``.
"""

from __future__ import annotations

import re
import secrets

import qrcode
import qrcode.image.svg
from django.utils.html import escape

# Letters and digits without look-alikes, easy to read aloud and type.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# Digits only, without 0 and 1: a code read out at the venue and typed on a phone's number pad.
DIGIT_ALPHABET = "23456789"


def new_code(length: int, alphabet: str = CODE_ALPHABET) -> str:
    """A random code of ``length`` characters from ``alphabet`` (``secrets``: not guessable)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def qr_svg(data: str, *, label: str = "") -> str:
    """``data`` as a QR code, inline SVG markup (a picture, not a script, so the CSP allows it).

    Sized by the stylesheet (``.qr``): the drawing's own width and height are
    dropped. With ``label`` the picture is named for screen readers; without,
    it is hidden from them (the page says in words what it is for).
    """
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r' (width|height)="[^"]*"', "", svg, count=2)
    if label:
        attributes = f'class="qr" role="img" aria-label="{escape(label)}"'
    else:
        attributes = 'class="qr" role="img" aria-hidden="true" focusable="false"'
    return svg.replace("<svg ", f"<svg {attributes} ", 1)
