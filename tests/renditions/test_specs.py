"""The spec language: every operation, its canonical form, and each malformed variant."""

from __future__ import annotations

import pytest

from renditions import pipeline
from renditions.exceptions import InvalidSpec
from renditions.specs import Spec, SpecLimits, rendition_key, uses_focal_point

VALID = [
    # (input, canonical)
    ("fit-800x600", "fit-800x600"),
    ("fill-800x600", "fill-800x600"),
    ("pad-400x400|bg-FFaa00", "pad-400x400|bg-ffaa00"),
    ("width-640", "width-640"),
    ("height-480", "height-480"),
    ("crop-10,20,300x200", "crop-10,20,300x200"),
    ("rotate-90", "rotate-90"),
    ("rotate-180", "rotate-180"),
    ("rotate-270", "rotate-270"),
    ("flip-h", "flip-h"),
    ("flip-v", "flip-v"),
    ("flip-hv", "flip-hv"),
    ("blur-5", "blur-5"),
    ("sharpen-2", "sharpen-2"),
    ("grayscale", "grayscale"),
    ("bg-000000", "bg-000000"),
    ("quality-80", "quality-80"),
    *[(f"format-{f}", f"format-{f}") for f in ("jpeg", "png", "webp", "avif", "gif", "auto")],
    ("strip", ""),  # the default: prints as nothing
    ("keep", "keep"),
    ("upscale|width-2000", "width-2000|upscale"),
    ("format-webp|quality-80|fill-800x600", "fill-800x600|format-webp|quality-80"),
    ("  fit-10x10 ", "fit-10x10"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "canonical"), VALID)
def test_valid_specs_print_canonically(text: str, canonical: str) -> None:
    spec = Spec.parse(text)
    assert str(spec) == canonical
    assert str(Spec.parse(str(spec))) == canonical  # canonical is a fixed point


MALFORMED = [
    "fit-800", "fit-0x600", "fit-800x", "fit-axb", "fit-800x600x2", "fit-5000x10",
    "fill-10x10x", "fill--1x10", "pad-x", "width-0", "width-", "width-abc", "width-5000", "width-01",
    "height-0", "height-9999", "crop-1,2,3", "crop-0,0,0x10", "crop-a,b,cxd", "crop-0,0,200000x1",
    "rotate-45", "rotate-", "rotate-360", "flip-x", "flip-", "blur-0", "blur-101", "sharpen-0",
    "sharpen-11", "grayscale-1", "bg-fff", "bg-gggggg", "bg-", "quality-0", "quality-101",
    "quality-high", "format-tiff", "format-", "strip-1", "keep-all", "upscale-2", "resize-10x10",
    "fit-10x10|fill-10x10", "width-10|height-10", "format-png|format-jpeg", "strip|keep",
    "fit-10x10||", "FIT-10x10",
]  # fmt: skip


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_specs_fail_at_parse_time(text: str) -> None:
    with pytest.raises(InvalidSpec) as caught:
        Spec.parse(text)
    assert caught.value.code == "invalid_spec"
    assert caught.value.status == 400


def test_caps_are_configurable() -> None:
    limits = SpecLimits(max_length=20, max_operations=2, max_edge=100)
    with pytest.raises(InvalidSpec, match="longer than 20"):
        Spec.parse("fit-10x10|format-webp|quality-80", limits)
    with pytest.raises(InvalidSpec, match="more than 2 operations"):
        Spec.parse("fit-1x1|grayscale|keep", SpecLimits(max_operations=2))
    with pytest.raises(InvalidSpec, match="100 px"):
        Spec.parse("fit-101x10", limits)


def test_parse_canonical_refuses_other_spellings() -> None:
    assert str(Spec.parse_canonical("fit-10x10|format-webp")) == "fit-10x10|format-webp"
    with pytest.raises(InvalidSpec, match="canonical"):
        Spec.parse_canonical("format-webp|fit-10x10")


def test_with_format_replaces_the_format() -> None:
    assert (
        str(Spec.parse("fit-10x10|format-auto|quality-50").with_format("webp"))
        == "fit-10x10|format-webp|quality-50"
    )


def test_key_changes_with_every_input() -> None:
    base = rendition_key("fit-10x10", checksum="a" * 64, focal_point=None)
    assert len(base) == 20
    assert rendition_key("fit-10x10", checksum="a" * 64, focal_point=None) == base
    assert rendition_key("fit-10x11", checksum="a" * 64, focal_point=None) != base
    assert rendition_key("fit-10x10", checksum="b" * 64, focal_point=None) != base
    assert rendition_key("fill-10x10", checksum="a" * 64, focal_point=(0.5, 0.5)) != rendition_key(
        "fill-10x10", checksum="a" * 64, focal_point=None
    )


@pytest.mark.parametrize(("spec", "depends"), [
    ("fill-10x10", True), ("crop-0,0,50x50|fill-10x20|format-webp", True), ("fill-10x10|rotate-90", True),
    ("fit-10x10", False), ("pad-10x10|bg-000000", False), ("width-10", False), ("height-10|grayscale", False),
    ("crop-0,0,50x50|fit-10x10", False), ("rotate-90|flip-h", False), ("format-webp", False), ("", False),
])  # fmt: skip
def test_the_key_follows_the_focal_point_only_where_the_geometry_does(spec: str, depends: bool) -> None:
    # given two focal points far apart on a wide source
    moved = [rendition_key(spec, checksum="a" * 64, focal_point=p) for p in (None, (0.1, 0.9), (0.9, 0.1))]
    shapes = {pipeline.geometry(Spec.parse(spec), (300, 100), p) for p in (None, (0.1, 0.9), (0.9, 0.1))}
    # then the key changes exactly when the crop does
    assert uses_focal_point(spec) is depends
    assert (len(set(moved)) == 3) is depends
    assert (len(shapes) > 1) is depends
