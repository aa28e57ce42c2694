"""The installed version of Trellis."""

__version__ = "0.1.0"
