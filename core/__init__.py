"""Hearth's core: domain model, storage, services, matching and (later) the sync engine.

This package never imports Qt, the web stack, ``desktop`` or ``embedded_api``; those layers call
into it. Nothing here is built at import time: every object receives its configuration.
"""

__version__ = "0.1.0"
