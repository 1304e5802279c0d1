"""Read a PDF the way a print shop would: its text, its pages and their sizes, its fonts, and each page drawn at
300 DPI (poppler's pdftoppm), so tests check the paper itself and not the HTML it came from."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from pypdf import PdfReader

# Sheet sizes in PDF points (1/72 inch), portrait; a page matches within half a point.
A4 = (595.28, 841.89)
A4_LANDSCAPE = (841.89, 595.28)
A3 = (841.89, 1190.55)


def reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-"), data[:40]
    return PdfReader(io.BytesIO(data))


def text(data: bytes) -> str:
    """All pages' text, joined, with the line breaks the layout made removed (a long name may wrap)."""
    return "".join(page.extract_text() or "" for page in reader(data).pages).replace("\n", "")


def page_texts(data: bytes) -> list[str]:
    return [(page.extract_text() or "").replace("\n", "") for page in reader(data).pages]


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    return [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader(data).pages]


def is_size(size: tuple[float, float], sheet: tuple[float, float]) -> bool:
    return abs(size[0] - sheet[0]) < 0.5 and abs(size[1] - sheet[1]) < 0.5


def fonts(data: bytes) -> dict[str, bool]:
    """Each font the PDF uses, by name, and whether its glyphs are embedded in the file."""
    found: dict[str, bool] = {}
    for page in reader(data).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = embedded
    return found


def inked_pages(data: bytes, dpi: int = 300) -> list[float]:
    """Each page drawn at ``dpi`` by pdftoppm (grey), as the share of its pixels that are not white."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "paper.pdf"
        source.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(source), str(Path(folder) / "page")], check=True)
        shares = []
        for image in sorted(Path(folder).glob("page-*.pgm")):
            shares.append(_inked_share(image.read_bytes()))
        return shares


def qr_codes(data: bytes, dpi: int = 150) -> list[list[str]]:
    """Each page drawn at ``dpi`` by pdftoppm and read by a QR decoder (zxing-cpp), as a phone would: the texts
    of the QR codes found on each page, top to bottom."""
    import zxingcpp
    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    found = []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "paper.pdf"
        source.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(Path(folder) / "page")], check=True
        )
        for image in sorted(Path(folder).glob("page-*.png")):
            with Image.open(image) as picture:
                codes = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
            found.append(
                [code.text for code in sorted(codes, key=lambda c: (c.position.top_left.y, c.position.top_left.x))]
            )
    return found


def link_targets(data: bytes) -> list[str]:
    """The URIs of the PDF's link annotations (a QR code wrapped in a link is clickable in a PDF reader too)."""
    targets = []
    for page in reader(data).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            if action.get("/URI"):
                targets.append(str(action["/URI"]))
    return targets


def _inked_share(pgm: bytes) -> float:
    """The share of non-white pixels in a binary PGM (P5) image."""
    parts, rest = [], pgm
    while len(parts) < 4:  # magic, width, height, maxval; comments are not written by pdftoppm
        rest = rest.lstrip()
        token, _, rest = rest.partition(b"\n") if len(parts) == 3 else _token(rest)
        parts.append(token)
    assert parts[0] == b"P5", parts[0]
    pixels = rest[: int(parts[1]) * int(parts[2])]
    inked = sum(1 for value in pixels if value < 200)
    return inked / max(1, len(pixels))


def _token(data: bytes) -> tuple[bytes, bytes, bytes]:
    end = min((i for i in (data.find(b" "), data.find(b"\n")) if i >= 0), default=len(data))
    return data[:end], b"", data[end:]
