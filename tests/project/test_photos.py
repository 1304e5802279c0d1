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


# --- Photos keep only pixels ----------------------------------------------------------------


def _stored_bytes(media, data: bytes, name="photo.jpg") -> bytes:
    stored = store_photo(clean_photo(upload(data, name)), folder="test")
    files = [media / stored] + [media / stored.replace(".jpg", f"_w{w}.jpg") for w in (320, 640, 1280)]
    return b"".join(path.read_bytes() for path in files)


def _rgb_profile(red, green, blue) -> bytes:
    """A minimal ICC v2 RGB display profile with the given (D50) primaries and a 2.2 gamma."""
    import struct

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x, y, z) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"test profile\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    gamma = b"curv\0\0\0\0" + struct.pack(">I", 1) + struct.pack(">H", 0x0233) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(*red)),
        (b"gXYZ", xyz(*green)),
        (b"bXYZ", xyz(*blue)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


SRGB_RED, SRGB_GREEN, SRGB_BLUE = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)


def test_a_jpeg_comment_does_not_survive(media):
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, format="JPEG", comment=b"call 13812345678 at home")
    assert b"13812345678" not in _stored_bytes(media, buffer.getvalue())


def test_no_exif_at_all_survives_not_only_gps(media):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x013B] = "SecretMaker", "SecretModel", "Photographer Wang"
    exif[0x9286] = "A comment in EXIF"
    stored = _stored_bytes(media, image_bytes(exif=exif))
    for secret in (b"SecretMaker", b"SecretModel", b"Photographer", b"A comment", b"Exif\0\0"):
        assert secret not in stored


def test_xmp_does_not_survive(media):
    buffer = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>Author: Wang, GPS 39.9</rdf:RDF></x:xmpmeta>'
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, format="JPEG", xmp=xmp)
    stored = _stored_bytes(media, buffer.getvalue())
    assert b"xmpmeta" not in stored and b"ns.adobe.com/xap" not in stored


def test_text_chunks_of_a_png_do_not_survive(media):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "call 13812345678")
    info.add_itxt("Author", "王建国")
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (20, 130, 30)).save(buffer, format="PNG", pnginfo=info)
    stored = _stored_bytes(media, buffer.getvalue(), name="x.png")
    assert b"13812345678" not in stored and "王建国".encode() not in stored


def test_a_colour_profile_is_applied_to_the_pixels_then_dropped(media):
    """Decision: a photo's colours are converted to sRGB (what the web assumes), and no profile is kept."""
    swapped = _rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE)  # this profile's "red" is sRGB's green
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (255, 0, 0)).save(buffer, format="JPEG", icc_profile=swapped, quality=95)
    stored = store_photo(clean_photo(upload(buffer.getvalue())), folder="test")
    with Image.open(media / stored) as saved:
        assert "icc_profile" not in saved.info
        red, green, _blue = saved.getpixel((400, 300))
    assert green > 200 and red < 60
    assert b"ICC_PROFILE" not in (media / stored).read_bytes()


def test_a_broken_colour_profile_is_dropped_and_the_photo_kept(media):
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, format="JPEG", icc_profile=b"\0" * 200 + b"garbage")
    stored = store_photo(clean_photo(upload(buffer.getvalue())), folder="test")
    with Image.open(media / stored) as saved:
        assert "icc_profile" not in saved.info and saved.size == (800, 600)


def test_a_multi_picture_jpeg_from_a_phone_is_accepted_keeping_the_first_picture(media):
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (800, 600), (255, 0, 0)), Image.new("RGB", (800, 600), (0, 0, 255))
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(buffer.getvalue())) as probe:
        assert probe.format == "MPO" and probe.n_frames == 2
    photo = clean_photo(upload(buffer.getvalue()))
    assert photo.image.size == (800, 600)
    stored = store_photo(photo, folder="test")
    with Image.open(media / stored) as saved:
        assert saved.format == "JPEG" and getattr(saved, "n_frames", 1) == 1
        red, _green, blue = saved.getpixel((400, 300))
    assert red > 200 and blue < 60
    assert b"MPF\0" not in (media / stored).read_bytes()


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(monkeypatch):
    """libjpeg scales while decoding: an 8000-pixel-wide JPEG is never held at full size."""
    loaded = []
    real_load = Image.Image.load

    def spy(self):
        result = real_load(self)
        loaded.append(self.size)
        return result

    buffer = io.BytesIO()
    Image.new("RGB", (8000, 2400), (200, 30, 30)).save(buffer, format="JPEG")
    monkeypatch.setattr(Image.Image, "load", spy)
    photo = clean_photo(upload(buffer.getvalue()))
    assert max(photo.image.size) == 2000
    assert loaded and max(width for width, _height in loaded) <= 4000


def test_a_progressive_jpeg_over_its_own_limit_is_refused():
    """Progressive JPEGs are decoded whole by libjpeg (every coefficient kept): their limit is lower."""
    from project.images import MAX_DECODE_BYTES

    side = int((MAX_DECODE_BYTES / 7) ** 0.5) + 16
    buffer = io.BytesIO()
    Image.new("L", (side, side)).convert("RGB").save(buffer, format="JPEG", progressive=True)
    with pytest.raises(ValidationError) as error:
        clean_photo(upload(buffer.getvalue()))
    assert error.value.code == "pixels"


@pytest.mark.parametrize("kind", ["jpeg", "progressive-jpeg", "png-with-alpha"])
def test_the_largest_accepted_photo_is_processed_in_bounded_memory(tmp_path, kind):
    """What a fresh process grows by while checking and storing the largest photo of each kind it accepts.

    tracemalloc cannot see Pillow's C buffers: this compares the process's resident size before with its
    peak after (Linux: /proc/self/status). Before these limits, a 40-megapixel photo took about 600 MB.
    """
    import subprocess
    import sys

    from project.images import MAX_DECODE_BYTES, MAX_PIXELS

    pixels = {"jpeg": MAX_PIXELS, "progressive-jpeg": MAX_DECODE_BYTES // 7, "png-with-alpha": MAX_DECODE_BYTES // 8}
    width = int((pixels[kind] * 4 / 3) ** 0.5)
    height = pixels[kind] // width
    path = tmp_path / "largest"
    save = {
        "jpeg": "im.save(sys.argv[1], 'JPEG', quality=90)",
        "progressive-jpeg": "im.save(sys.argv[1], 'JPEG', progressive=True, subsampling=0, quality=95)",
        "png-with-alpha": "im.convert('RGBA').save(sys.argv[1], 'PNG')",
    }[kind]
    make = f"import sys; from PIL import Image; im = Image.linear_gradient('L').resize(({width}, {height})).convert('RGB'); {save}"
    subprocess.run([sys.executable, "-c", make, str(path)], check=True)
    measure = (
        "import sys, django; django.setup(); "
        "from django.conf import settings; settings.MEDIA_ROOT = sys.argv[2]; "
        "from django.core.files.uploadedfile import SimpleUploadedFile; "
        "from project.images import clean_photo, store_photo; "
        "status = lambda key: next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key)); "
        "data = open(sys.argv[1], 'rb').read(); "
        # The peak is reset first: a forked child starts with its parent's (the test runner's) peak.
        "open('/proc/self/clear_refs', 'w').write('5'); before = status('VmRSS'); "
        "store_photo(clean_photo(SimpleUploadedFile('x', data)), folder='t'); "
        "print((status('VmHWM') - before) // 1024)"
    )
    env = {**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "project.settings", "DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", measure, str(path), str(tmp_path)], capture_output=True, text=True, env=env, check=True
    )
    grown_mb = int(result.stdout.strip().splitlines()[-1])
    assert grown_mb < 160, f"{kind}: {grown_mb} MB"
