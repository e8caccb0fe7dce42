"""The only module that imports django-imagekit: an ``ImageSpec`` built from a parsed spec.

imagekit contributes the generator protocol (source → processors → encoded file) and pilkit's
robust ``save_image``. What it does *not* do here, by design (DESIGN.md): its cache-file
strategies (they ask storage whether a file exists) and its Celery backend (it pickles). Our
single processor runs the whole pure pipeline so geometry stays one crop and one resample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import IO, Any

from imagekit.specs import ImageSpec
from PIL import Image

from renditions import pipeline
from renditions.specs import Spec


class PipelineProcessor:
    """A pilkit processor: ``process(img) → img``. It also fills in the encoder options, which
    depend on the image (animation frames, EXIF) and so are only known once it has run."""

    def __init__(self, spec: Spec, focal_point: tuple[float, float] | None,
                 limits: pipeline.RenderLimits, options: dict[str, Any]) -> None:  # fmt: skip
        self.spec, self.focal_point, self.limits, self.options = spec, focal_point, limits, options
        self.result: pipeline.Processed | None = None

    def process(self, img: Image.Image) -> Image.Image:
        self.result = pipeline.process(img, self.spec, focal_point=self.focal_point, limits=self.limits)
        self.options.clear()
        self.options.update(self.result.options)
        return self.result.image


class DamImageSpec(ImageSpec):
    autoconvert = False  # the pipeline already chose modes per format (and handles animation)

    def __init__(self, source: IO[bytes], spec: Spec, *, focal_point: tuple[float, float] | None,
                 limits: pipeline.RenderLimits, source_format: str) -> None:  # fmt: skip
        super().__init__(source=source)
        # pilkit replaces an *empty* options dict with a new one; a placeholder keeps ours shared.
        self.options: dict[str, Any] = {"_": None}
        self.processor = PipelineProcessor(spec, focal_point, limits, self.options)
        self.processors = [self.processor]
        self.format = pipeline.output_format(spec, source_format)


@dataclass
class Generated:
    data: bytes
    format: str
    width: int
    height: int
    frames: int
    timings: dict[str, float]


def generate(source: IO[bytes], spec: Spec, *, source_format: str, focal_point: tuple[float, float] | None,
             limits: pipeline.RenderLimits) -> Generated:  # fmt: skip
    started = time.perf_counter()
    image_spec = DamImageSpec(
        source, spec, focal_point=focal_point, limits=limits, source_format=source_format
    )
    encoded = image_spec.generate()
    result = image_spec.processor.result
    assert result is not None, "imagekit returned without running the pipeline processor."
    width, height = result.image.size
    return Generated(encoded.read(), result.format, width, height, result.frames,
                     {"decode_resize_encode": time.perf_counter() - started})  # fmt: skip
