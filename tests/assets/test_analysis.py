"""Image analysis at ingest: placeholder, dominant colour, perceptual hash, automatic focal point,
and the near-duplicate lookup, on the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import uuid

import blurhash
import pytest
from PIL import Image, ImageDraw

from assets import analysis, similar
from assets.ingest import AssetFields, ingest
from assets.models import Asset, Collection
from assets.replace import replace_file, restore_version
from tests import images, scenes


def decoded(hash_: str, size: tuple[int, int] = (24, 16)) -> Image.Image:
    """The BlurHash painted back, as a browser would."""
    rows = blurhash.decode(hash_, size[0], size[1])
    image = Image.new("RGB", size)
    image.putdata([tuple(int(c) for c in pixel[:3]) for row in rows for pixel in row])
    return image


def mean(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> tuple[float, ...]:
    part = image.crop(box) if box else image
    small = part.resize((1, 1), Image.Resampling.BOX)
    return tuple(small.getpixel((0, 0)))  # type: ignore[arg-type]


def close(a: tuple[float, ...], b: tuple[float, ...], tolerance: float) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=False))


def two_colours(size: tuple[int, int] = (200, 100), split: float = 0.7) -> Image.Image:
    image = Image.new("RGB", size, (30, 160, 60))
    ImageDraw.Draw(image).rectangle((round(size[0] * split), 0, size[0], size[1]), fill=(200, 40, 160))
    return image


def ingested(data: bytes, name: str = "x.png") -> Asset:
    return ingest(io.BytesIO(data), filename=name)


# --- pure: the analysis of a picture --------------------------------------------------------------


def test_the_placeholder_decodes_back_to_the_pictures_colours() -> None:
    # given a picture: green on the left, magenta on the right
    image = two_colours(split=0.5)
    # when analysed and its BlurHash decoded
    result = analysis.analyse(analysis.preview_of(image))
    painted = decoded(result.placeholder)
    # then each half of the painting has about the colour of that half of the picture
    assert close(mean(painted, (0, 0, 8, 16)), (30, 160, 60), 45)
    assert close(mean(painted, (16, 0, 24, 16)), (200, 40, 160), 45)
    assert close(mean(painted), mean(image), 20)


def test_the_dominant_colour_is_the_larger_of_two() -> None:
    assert analysis.analyse(two_colours(split=0.7)).dominant_color == "#1ea03c"
    assert analysis.analyse(two_colours(split=0.3)).dominant_color == "#c828a0"


def test_a_flat_picture_has_no_automatic_focal_point() -> None:
    assert analysis.analyse(Image.new("RGB", (300, 200), (90, 90, 90))).auto_focal_point is None


def test_the_automatic_focal_point_finds_an_off_centre_subject() -> None:
    point = analysis.analyse(scenes.subject_off_centre(at=0.8)).auto_focal_point
    assert point is not None and abs(point[0] - 0.8) < 0.05 and abs(point[1] - 0.5) < 0.05


def test_probing_bands_finds_every_hash_up_to_the_guaranteed_radius() -> None:
    # given a hash and others differing in bits spread over all four bands as evenly as can be
    base = 0x0123_4567_89AB_CDEF
    for distance in range(0, similar.MAX_DISTANCE + 1):
        flipped = base
        for bit in range(distance):  # bit i of band i % 4: every band gets its share
            flipped ^= 1 << ((bit % 4) * 16 + bit // 4)
        probe = analysis.probe_for(distance)
        # then some band of the other hash is among the probed values of the same band
        mine, theirs = analysis.hash_bands(base), analysis.hash_bands(flipped)
        assert analysis.hamming(base, flipped) == distance
        assert any(t in analysis.probe_values(m, probe) for m, t in zip(mine, theirs, strict=True))
        assert analysis.guaranteed_radius(probe) >= distance


def test_the_hash_is_stored_signed_and_read_back_unsigned() -> None:
    for value in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        assert -(2**63) <= analysis.signed64(value) < 2**63
        assert analysis.unsigned64(analysis.signed64(value)) == value


# --- at ingest ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ingest_stores_the_analysis(filesystem_storage) -> None:
    asset = ingested(scenes.encoded(two_colours(), "PNG"))
    asset.refresh_from_db()
    assert asset.placeholder and asset.dominant_color == "#1ea03c"
    assert asset.perceptual_hash is not None
    bands = analysis.hash_bands(analysis.unsigned64(asset.perceptual_hash))
    assert (asset.phash_0, asset.phash_1, asset.phash_2, asset.phash_3) == bands


@pytest.mark.django_db(transaction=True)
def test_the_placeholder_is_upright_like_the_displayed_image(filesystem_storage) -> None:
    # given a JPEG stored sideways with EXIF orientation 6, displayed red top-left / blue elsewhere
    asset = ingested(images.oriented_jpeg(6, displayed=(120, 80)), "sideways.jpg")
    # then the placeholder is landscape (4×3 components) and red where the displayed image is
    assert blurhash.components(asset.placeholder) == (4, 3)
    painted = decoded(asset.placeholder)
    top_left, bottom_right = mean(painted, (0, 0, 6, 4)), mean(painted, (18, 12, 24, 16))
    assert top_left[0] > top_left[2] + 40 and bottom_right[2] > bottom_right[0] + 40
    # and its hash is that of the same picture stored upright
    upright = ingested(images.oriented_jpeg(1, displayed=(120, 80)), "upright.jpg")
    assert analysis.hamming(asset.perceptual_hash, upright.perceptual_hash) <= 2


@pytest.mark.django_db(transaction=True)
def test_transparency_is_flattened_onto_white(filesystem_storage) -> None:
    assert ingested(images.rgba_png(alpha=0)).dominant_color == "#ffffff"
    assert ingested(images.palette_png_with_transparency()).placeholder


@pytest.mark.django_db(transaction=True)
def test_an_animation_is_described_by_its_first_frame(filesystem_storage) -> None:
    # given animations whose first frame is red, then green, then blue
    for data, name in (
        (images.animated_gif(3, size=(40, 30)), "a.gif"),
        (images.animated_webp(3, size=(40, 30)), "a.webp"),
    ):
        colour = ingested(data, name).dominant_color
        assert close(tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)), (255, 0, 0), 8), (name, colour)


@pytest.mark.django_db(transaction=True)
def test_cmyk_and_sixteen_bit_originals_are_read_as_they_look(filesystem_storage) -> None:
    cmyk = ingested(images.cmyk_jpeg(), "c.jpg")
    assert cmyk.placeholder and close(mean(decoded(cmyk.placeholder), (16, 8, 24, 16)), (0, 0, 255), 60)
    # a 16-bit gradient is scaled to 8 bits, not clipped to white
    sixteen = ingested(images.png16((64, 48)))
    assert 90 < mean(decoded(sixteen.placeholder))[0] < 170


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["off", "all"])
def test_the_analysis_is_the_same_whether_the_decode_is_sandboxed_or_not(
    settings, filesystem_storage, mode
) -> None:
    settings.DAM_DECODE_SANDBOX = mode
    asset = ingested(scenes.encoded(two_colours(), "JPEG", quality=95), "j.jpg")
    lossless = ingested(images.lossless_jpeg((64, 48)), "l.jpg")
    assert asset.dominant_color and lossless.placeholder


# --- near-duplicates ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_resized_recompressed_brightened_copy_is_found_and_an_unrelated_picture_is_not(
    filesystem_storage, settings
) -> None:
    settings.DAM_SIMILAR_MAX_DISTANCE = 7
    # given a picture in the library, and an unrelated one
    original = ingested(scenes.encoded(scenes.scene(1), "PNG"), "scene.png")
    unrelated = ingested(scenes.encoded(scenes.scene(101), "PNG"), "other.png")
    # when a near copy of the first arrives
    copy = ingested(scenes.near_copy(scenes.scene(1)), "copy.jpg")
    # then the lookup finds the original, close, and not the unrelated picture
    found = similar.similar_to(copy)
    assert [m.asset_id for m in found] == [original.id]
    assert found[0].distance <= 4
    assert similar.similar_to(unrelated) == []


@pytest.mark.django_db(transaction=True)
def test_the_lookup_is_exact_at_every_distance_up_to_its_limit(filesystem_storage) -> None:
    # given assets whose hashes differ from one hash by 0..12 bits, spread over the bands
    base = 0x0F0F_3C3C_A5A5_6996
    collection = Collection.default()
    for distance in range(0, 13):
        flipped = base
        for bit in range(distance):
            flipped ^= 1 << ((bit % 4) * 16 + bit // 4)
        row = Asset(id=uuid.uuid4(), title=f"d{distance}", format="PNG", width=1, height=1, byte_size=1,
                    sha256=f"{distance:064x}", mode="RGB", collection=collection)  # fmt: skip
        analysis.apply(row, analysis.Analysis("", "", flipped, None))
        row.save()
    # when looked up at each radius
    for radius in range(0, similar.MAX_DISTANCE + 1):
        found = similar.matches(analysis.signed64(base), max_distance=radius, limit=20)
        # then exactly the assets within it, closest first
        assert [m.distance for m in found] == list(range(0, radius + 1))


@pytest.mark.django_db(transaction=True)
def test_assets_without_a_hash_have_no_similar_and_are_never_found(filesystem_storage) -> None:
    asset = ingested(scenes.encoded(scenes.scene(3), "PNG"))
    Asset.objects.filter(pk=asset.pk).update(perceptual_hash=None, phash_0=None, phash_1=None,
                                             phash_2=None, phash_3=None)  # fmt: skip
    asset.refresh_from_db()
    assert similar.similar_to(asset) == []
    assert similar.similar_to(ingested(scenes.encoded(scenes.scene(3), "PNG"))) == []


# --- replacement and versions ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_replacing_the_file_recomputes_the_analysis_and_keeps_the_editors_point(filesystem_storage) -> None:
    # given an asset with a subject on the right, and an editor's focal point
    asset = ingest(io.BytesIO(scenes.encoded(scenes.subject_off_centre(at=0.8), "PNG")), filename="s.png",
                   fields=AssetFields(focal_x=0.3, focal_y=0.3))  # fmt: skip
    before = (asset.placeholder, asset.dominant_color, asset.perceptual_hash, asset.auto_focal_x)
    assert asset.auto_focal_x is not None and asset.auto_focal_x > 0.7
    # when the file is replaced by one whose subject is on the left
    replaced = replace_file(asset.pk, io.BytesIO(scenes.encoded(scenes.subject_off_centre(at=0.2), "JPEG")),
                            filename="t.jpg")  # fmt: skip
    replaced.refresh_from_db()
    # then the analysis is the new file's, the editor's point stays, the old file's analysis is kept
    assert replaced.auto_focal_x is not None and replaced.auto_focal_x < 0.3
    assert replaced.perceptual_hash != before[2] and replaced.placeholder != before[0]
    assert (replaced.focal_x, replaced.focal_y) == (0.3, 0.3) and replaced.focal_point_source == "editor"
    version = replaced.versions.get()
    assert (
        version.placeholder,
        version.dominant_color,
        version.perceptual_hash,
        version.auto_focal_x,
    ) == before
    # and restoring the old file brings its analysis back with it
    restored = restore_version(asset.pk, version.pk)
    assert (
        restored.placeholder,
        restored.dominant_color,
        restored.perceptual_hash,
        restored.auto_focal_x,
    ) == before
    assert restored.phash_0 == analysis.hash_bands(analysis.unsigned64(before[2]))[0]


@pytest.mark.django_db(transaction=True)
def test_analyse_file_reads_a_stored_original(filesystem_storage) -> None:
    # given an asset whose analysis is missing (ingested before it existed)
    asset = ingested(images.oriented_jpeg(6, displayed=(120, 80)), "s.jpg")
    expected = (asset.placeholder, asset.dominant_color, asset.perceptual_hash)
    analysis.apply(asset, None)
    assert asset.placeholder == "" and asset.perceptual_hash is None
    # when analysed from storage
    with asset.file.open("rb") as stored:
        analysis.analyse_file(asset, stored)
    # then it is what ingest computed
    assert (asset.placeholder, asset.dominant_color, asset.perceptual_hash) == expected
