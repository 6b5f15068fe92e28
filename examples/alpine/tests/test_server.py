"""Tests of the service; excluded from the image by `tests/` in .dockerignore."""
from inventory.server import app


def test_health():
    assert app.test_client().get("/health").data == b"ok"
