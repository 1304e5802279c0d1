"""Uploaded photos, done once and right, for every app.

A photo is checked (JPEG, PNG or WebP by content, not by name; multi-picture
JPEGs from phone cameras keep their first picture; a byte limit; pixel and
decoding-memory limits far below Pillow's decompression-bomb limit), decoded
no larger than the stored photo needs, turned upright from its EXIF
orientation, converted to sRGB if it carries a colour profile, and re-encoded
from its pixels alone: no comment, EXIF, GPS, XMP, colour profile, text chunk
or anything appended to the file survives. It is stored under a random name,
and saved in a few widths for ``srcset``. Models keep the stored name in a ``CharField`` (``PHOTO_FIELD``);
templates show it with ``{% load photos %}{% photo obj.photo alt %}``.

Use ``PhotoField`` in forms: its ``clean()`` returns a ``CleanPhoto`` (nothing is
written yet), and ``store_photo(clean_photo, folder=...)`` writes it when the
rest of the form is valid, so a bad form stores nothing.
"""

from __future__ import annotations

import io
import math
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
# A 24-megapixel phone photo (5712 × 4284) fits; Pillow warns at ~89 M and refuses at ~179 M.
MAX_PIXELS = 25_000_000
# What checking a photo may allocate at most, estimated before decoding (``_decode_bytes_per_pixel``).
# The largest photo of each kind is measured in tests/project/test_photos.py; the old 40-megapixel limit,
# with nothing else, let one upload take about 600 MB.
MAX_DECODE_BYTES = 128 * 1024 * 1024
MAX_STORED_SIDE = 2000
WIDTHS = (320, 640, 1280)
# MPO: the multi-picture JPEG many phone cameras save (a photo plus a depth map or a second view).
ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class CleanPhoto:
    image: Image.Image


def _decode_bytes_per_pixel(probe: Image.Image) -> int:
    """Bytes a pixel costs until the picture is cut down to ``MAX_STORED_SIDE``, by measurement.

    A baseline JPEG is decoded at a reduced scale (libjpeg's DCT scaling), so its
    size hardly matters; a progressive JPEG makes libjpeg keep every coefficient
    of the whole picture (6 bytes a pixel at 4:4:4) besides the scaled output;
    PNG and WebP are decoded whole (up to 4 bytes) and flattened onto white
    (3 more) before they are made smaller.
    """
    if probe.format in ("JPEG", "MPO"):
        return 7 if probe.info.get("progressive") else 0
    return 8


def _decode(upload) -> Image.Image:
    """The first picture, decoded at the smallest scale that still gives ``MAX_STORED_SIDE`` pixels."""
    upload.seek(0)
    image = Image.open(upload)
    width, height = image.size
    if image.format in ("JPEG", "MPO") and max(width, height) > MAX_STORED_SIDE:
        factor = MAX_STORED_SIDE / max(width, height)
        image.draft(None, (math.ceil(width * factor), math.ceil(height * factor)))
    image.load()  # an MPO's first frame only
    return image


def _to_srgb(image: Image.Image, profile: bytes) -> Image.Image:
    """The pixels converted from the photo's colour profile to sRGB; unchanged if the profile is unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _flattened(image: Image.Image) -> Image.Image:
    """Transparency (and palettes) onto white, before resizing: resampling RGBA copies the whole picture."""
    if image.mode in ("RGB", "L", "CMYK"):
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    background.paste(rgba, mask=rgba.getchannel("A"))
    background.info = image.info  # the orientation and colour profile still apply
    return background


def _pixels_only(image: Image.Image, profile: bytes | None) -> Image.Image:
    """An RGB picture holding the pixels and nothing else.

    A fresh image, not a copy: Pillow writes some of ``info`` back when it
    saves (a JPEG's comment does survive a plain re-encode), so nothing of the
    upload's metadata may travel with the pixels.
    """
    if profile:
        image = _to_srgb(image, profile)
    if image.mode != "RGB":
        image = image.convert("RGB")
    pixels = Image.new("RGB", image.size)
    pixels.paste(image)
    return pixels


def clean_photo(upload) -> CleanPhoto:
    """Check an uploaded file and return its pixels, upright, at most ``MAX_STORED_SIDE``, or raise ValidationError."""
    if upload.size > MAX_BYTES:
        raise ValidationError(_("The photo is too large. Please choose one under 8 MB."), code="too_large")
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # We refuse large images ourselves, far below Pillow's limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(upload)
        if probe.format not in ALLOWED_FORMATS:
            raise ValidationError(_("Please upload a JPEG, PNG or WebP photo."), code="format")
        width, height = probe.size
        pixels = width * height
        if pixels > MAX_PIXELS or pixels * _decode_bytes_per_pixel(probe) > MAX_DECODE_BYTES or min(width, height) < 1:
            raise ValidationError(_("The photo has too many pixels. Please choose a smaller one."), code="pixels")
        probe.verify()  # checks the data without decoding it all
        image = _decode(upload)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("This file is not a photo we can read. Please upload a JPEG, PNG or WebP photo."), code="invalid"
        ) from exc
    image = _flattened(image)
    profile = image.info.get("icc_profile")
    # Smaller first, so that turning, converting and copying handle at most MAX_STORED_SIDE pixels a side.
    image.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE), Image.Resampling.LANCZOS)
    image = ImageOps.exif_transpose(image)
    return CleanPhoto(image=_pixels_only(image, profile))


def _encode(image: Image.Image, max_side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # A fresh JPEG from pixels only: no EXIF, no GPS, nothing appended.
    copy.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def store_photo(photo: CleanPhoto, *, folder: str) -> str:
    """Write the photo and its smaller widths under a random name; return the stored name."""
    stem = f"{folder.strip('/')}/{uuid.uuid4().hex}"
    name = default_storage.save(f"{stem}.jpg", ContentFile(_encode(photo.image, MAX_STORED_SIDE)))
    for width in WIDTHS:
        # Always written (never upscaled), so pages can build srcset without asking the disk.
        default_storage.save(f"{stem}_w{width}.jpg", ContentFile(_encode(photo.image, width)))
    return name


def delete_photo(name: str) -> None:
    if not name:
        return
    stem = name.rsplit(".", 1)[0]
    for candidate in [name, *(f"{stem}_w{w}.jpg" for w in WIDTHS)]:
        if default_storage.exists(candidate):
            default_storage.delete(candidate)


@contextmanager
def stored_for_write(photo: CleanPhoto | None, *, folder: str) -> Iterator[str]:
    """Store ``photo`` for the write in the block (yields its name; "" for no photo), and delete it if the block fails.

    A service puts its transaction inside the block, so a refused or
    rolled-back write leaves no file behind:
    ``with stored_for_write(photo, folder="…") as name, transaction.atomic():``.
    """
    name = store_photo(photo, folder=folder) if photo else ""
    try:
        yield name
    except BaseException:
        delete_photo(name)
        raise


def photo_sources(name: str) -> list[tuple[str, int | None]]:
    """The URLs of a stored photo's widths, smallest first, for ``srcset``."""
    if not name:
        return []
    stem = name.rsplit(".", 1)[0]
    return [(default_storage.url(f"{stem}_w{w}.jpg"), w) for w in WIDTHS] + [(default_storage.url(name), None)]


class PhotoField(forms.FileField):
    """A form field that accepts only a real, safe photo; ``clean()`` returns a ``CleanPhoto``."""

    widget = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("help_text", _("JPEG, PNG or WebP, up to 8 MB. Location data in the photo is removed."))
        super().__init__(*args, **kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return clean_photo(upload)


PHOTO_FIELD_KWARGS = {"max_length": 200, "blank": True}
