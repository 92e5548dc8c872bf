"""The web application for clinic staff (server-rendered pages, HTMX, no build step)."""

from microneedling.web.app import create_web_app

__all__ = ["create_web_app"]
