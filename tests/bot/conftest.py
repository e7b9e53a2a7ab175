from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The tests folder itself, for the offline wheelhouse of test_precommit.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fakehub import Server
from world import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Base and fork repositories and the fake GitHub serving them. Every request the bot made
    must have conformed to GitHub's OpenAPI description."""
    made = make_world(tmp_path)
    server = Server(made.fake)
    try:
        yield made
    finally:
        server.close()
    assert made.fake.violations == []
