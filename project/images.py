"""Uploaded photos, done once and right, for every app.

A photo is checked (JPEG, PNG or WebP by content, not by name; a byte limit; a
pixel limit far below Pillow's decompression-bomb limit), turned upright from
its EXIF orientation, re-encoded so that EXIF/GPS data and anything appended to
the file are gone, stored under a random name, and saved in a few widths for
``srcset``. Models keep the stored name in a ``CharField`` (``PHOTO_FIELD``);
templates show it with ``{% load photos %}{% photo obj.photo alt %}``.

Use ``PhotoField`` in forms: its ``clean()`` returns a ``CleanPhoto`` (nothing is
written yet), and ``store_photo(clean_photo, folder=...)`` writes it when the
rest of the form is valid, so a bad form stores nothing.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # Pillow warns at ~89 M and refuses at ~179 M
MAX_STORED_SIDE = 2000
WIDTHS = (320, 640, 1280)
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class CleanPhoto:
    image: Image.Image


def clean_photo(upload) -> CleanPhoto:
    """Check an uploaded file and return the decoded, upright image, or raise ValidationError."""
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
        if width * height > MAX_PIXELS or width < 1 or height < 1:
            raise ValidationError(_("The photo has too many pixels. Please choose a smaller one."), code="pixels")
        probe.verify()  # checks the data without decoding it all
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("This file is not a photo we can read. Please upload a JPEG, PNG or WebP photo."), code="invalid"
        ) from exc
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode == "L":
        image = image.convert("RGB")
    return CleanPhoto(image=image)


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
