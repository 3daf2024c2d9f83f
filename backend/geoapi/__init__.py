"""geoapi: an OGC API - Features service over MySQL 8 / MariaDB.

``from geoapi.app import create_app`` builds the Flask app; ``python -m geoapi``
runs the one-off commands (migrate, seed).
"""

__version__ = "1.0.0"
