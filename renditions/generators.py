"""The only module that imports django-imagekit: an ``ImageSpec`` built from a parsed spec.

imagekit contributes the generator protocol (source → processors → encoded file) and pilkit's
processor pipeline. What it does *not* do here, by design: its cache-file strategies (they ask
storage whether a file exists), its Celery backend (it pickles), and pilkit's ``save_image``
(see ``DamImageSpec.generate``). Our single processor runs the whole pure pipeline so geometry
stays one crop and one resample.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import IO

from imagekit.processors import ProcessorPipeline
from imagekit.specs import ImageSpec
from imagekit.utils import open_image
from PIL import Image

from assets import memory
from renditions import pipeline
from renditions.specs import Spec


class PipelineProcessor:
    """A pilkit processor: ``process(img) → img``. It keeps what the pipeline decided for the
    encoder (format, options that depend on the image: animation frames, EXIF) in ``result``."""

    def __init__(self, spec: Spec, focal_point: tuple[float, float] | None,
                 limits: pipeline.RenderLimits) -> None:  # fmt: skip
        self.spec, self.focal_point, self.limits = spec, focal_point, limits
        self.result: pipeline.Processed | None = None
        self.source_pixels = 0

    def process(self, img: Image.Image) -> Image.Image:
        frames = int(getattr(img, "n_frames", 1))
        self.result = pipeline.process(img, self.spec, focal_point=self.focal_point, limits=self.limits)
        # What was decoded: after ``draft`` a 50 MP JPEG thumbnailed is ~1 MP, small blocks the
        # allocator reuses; trimming after it only made the next render fault its pages back in.
        self.source_pixels = img.width * img.height * frames
        pipeline.release_source(img, self.result)
        return self.result.image


class DamImageSpec(ImageSpec):
    autoconvert = False  # the pipeline already chose modes per format (and handles animation)

    def __init__(self, source: IO[bytes], spec: Spec, *, focal_point: tuple[float, float] | None,
                 limits: pipeline.RenderLimits, source_format: str) -> None:  # fmt: skip
        super().__init__(source=source)
        self.processor = PipelineProcessor(spec, focal_point, limits)
        self.processors = [self.processor]
        self.format = pipeline.output_format(spec, source_format)

    def generate(self) -> IO[bytes]:
        """imagekit's ``generate`` with our encoder instead of pilkit's ``save_image``.

        ``save_image`` wraps every save in ``pilkit.utils.quiet()``, which points the process's
        file descriptor 2 at /dev/null and back. That is not thread-safe: two renders encoding at
        once in a threaded gunicorn worker leave fd 2 on /dev/null for good, and every log line
        after that is lost. Its other service, retrying with a bigger ``ImageFile.MAXBLOCK`` (also
        process-wide), is obsolete: Pillow sizes the JPEG buffer itself (django-imagekit#50).
        """
        if not self.source:
            raise self.MissingSource(f"The spec {self} has no source file.")
        ProcessorPipeline(self.processors).process(open_image(self.source))
        result = self.processor.result
        assert result is not None, "The pipeline processor did not run."
        return io.BytesIO(pipeline.encode(result))


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
        pipeline.decoder_view(source, source_format), spec, focal_point=focal_point, limits=limits,
        source_format=source_format,
    )  # fmt: skip
    encoded = image_spec.generate()
    processor = image_spec.processor
    result = processor.result
    assert result is not None, "generate() returned without running the pipeline processor."
    width, height = result.image.size
    made = Generated(encoded.read(), result.format, width, height, result.frames,
                     {"decode_resize_encode": time.perf_counter() - started})  # fmt: skip
    processor.result = None  # the output frames: freed before memory goes back to the system
    del encoded, image_spec, result
    memory.release_after(processor.source_pixels)
    return made
