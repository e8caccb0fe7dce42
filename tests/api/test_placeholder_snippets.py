"""The Ruby BlurHash decoder printed in docs/api.md decodes what dam encodes, pixel for pixel like
the reference decoder (Debian's ruby; no gem)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import blurhash

from assets import analysis
from tests import scenes
from tests.api.test_ruby_client import require_tool

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def ruby_snippet() -> str:
    blocks = re.findall(r"```ruby\n(.*?)```", DOCS.read_text(), re.DOTALL)
    return next(block for block in blocks if "module BlurHash" in block)


def test_the_documented_ruby_decoder_matches_the_reference() -> None:
    ruby = require_tool(shutil.which("ruby"), "ruby")
    # given a placeholder dam made, and the snippet from the docs (its module, not its examples)
    hash_ = analysis.analyse(scenes.scene(3)).placeholder
    module = ruby_snippet().split("\nBlurHash.decode(", 1)[0]
    script = (
        module
        + f'\nrequire "json"\nputs JSON.generate([BlurHash.decode("{hash_}", 8, 6), BlurHash.average("{hash_}")])\n'
    )
    # when Ruby runs it
    done = subprocess.run([ruby, "-e", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    pixels, average = json.loads(done.stdout)
    # then the pixels are the reference decoder's, and the average is the first component
    reference = [[[int(c) for c in pixel[:3]] for pixel in row] for row in blurhash.decode(hash_, 8, 6)]
    assert pixels == reference
    assert average == f"#{base83(hash_[2:6]):06x}"  # the DC term: the picture's mean colour, sRGB


def base83(text: str) -> int:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
    value = 0
    for char in text:
        value = value * 83 + digits.index(char)
    return value
