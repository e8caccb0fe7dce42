"""ASGI entry point (the app is synchronous; this exists for servers that want ASGI)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")
application = get_asgi_application()
