"""The installed version of Trellis (kept in ``trellis.platform.config.version``)."""

from trellis.platform.config.version import __version__

__all__ = ["__version__"]
