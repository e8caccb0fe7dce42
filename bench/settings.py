"""dam's settings plus one bare view to compare warm hits against (bench only)."""

from dam.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
