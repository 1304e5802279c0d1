"""Photos are checked and re-encoded once, the same way for every upload."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from project.images import clean_photo, photo_sources, store_photo


def image_bytes(fmt="JPEG", size=(800, 600), exif=None, color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted(fmt):
    assert clean_photo(upload(image_bytes(fmt))).image.size == (800, 600)


def test_gps_data_is_removed_and_the_photo_turned_upright(media):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°
    gps = exif.get_ifd(0x8825)  # GPS IFD
    gps[1], gps[2] = "N", (39.0, 54.0, 0.0)
    stored = store_photo(clean_photo(upload(image_bytes(exif=exif))), folder="test")
    with Image.open(media / stored) as saved:
        assert saved.size == (600, 800)
        assert not saved.getexif()
        assert b"GPS" not in (media / stored).read_bytes()


def test_anything_appended_to_the_file_is_gone(media):
    data = image_bytes("PNG") + b"<html><script>alert(1)</script></html>"
    stored = store_photo(clean_photo(upload(data, "x.png", "image/png")), folder="test")
    assert b"<script>" not in (media / stored).read_bytes()


def test_photos_are_stored_under_random_names_with_smaller_widths(media):
    name = store_photo(clean_photo(upload(image_bytes(size=(1600, 1200)), name="我的家.jpg")), folder="test")
    assert "我的家" not in name and name.startswith("test/")
    widths = [w for _, w in photo_sources(name) if w]
    assert widths == [320, 640, 1280]
    for url, width in photo_sources(name):
        path = media / url.removeprefix("/media/")
        assert path.exists()
        if width:
            with Image.open(path) as saved:
                assert saved.width <= width


@pytest.mark.parametrize(
    "data,name",
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg"),
        (b"<html><body>not a photo</body></html>", "x.jpg"),
        (b"GIF89a" + b"\x00" * 100, "x.gif"),
        (image_bytes()[:200], "truncated.jpg"),
    ],
)
def test_files_that_are_not_safe_photos_are_refused(data, name):
    with pytest.raises(ValidationError):
        clean_photo(upload(data, name))


def test_a_decompression_bomb_is_refused_without_decoding_it():
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, format="PNG")  # 144 Mpx, tiny file
    with pytest.raises(ValidationError) as error:
        clean_photo(upload(buffer.getvalue(), "bomb.png", "image/png"))
    assert error.value.code == "pixels"


def test_an_oversized_file_is_refused(settings):
    big = upload(b"\xff\xd8" + b"0" * (9 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        clean_photo(big)
    assert error.value.code == "too_large"
