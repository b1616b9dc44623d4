"""Cloudflare v4 API emulator for the originpulls.aop tests (see server.py)."""

from .server import Emulator, State  # noqa: F401
from .spec import Contract  # noqa: F401
