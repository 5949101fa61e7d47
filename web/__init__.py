"""The Flask application: a thin layer over `engine.service`."""

from .app import create_app

__all__ = ["create_app"]
