"""The near cache (``NEAR_CACHE``): hot values kept in process, kept coherent by the
server's ``CLIENT TRACKING``. See ``docs/near-cache.md``."""

from .cache import NearCache, near_class
from .settings import NearSettings, near_settings

__all__ = ["NearCache", "NearSettings", "near_class", "near_settings"]
