"""The HTTP API (FastAPI) under ``/api/v1``: the same services as the CLI and web pages."""
