"""WSGI entry point for production servers: `gunicorn web.wsgi:app`.

Configuration comes from the environment (DATABASE_URL…); the database is upgraded on start.
Timers are fired by separate `anct worker` processes, not by the web workers.
"""

from engine.config import Settings
from engine.service import create_services

from .app import create_app

app = create_app(create_services(Settings.from_env()))
