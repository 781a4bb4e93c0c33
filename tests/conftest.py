"""Shared tiny fixtures. Keep this file small: module-specific fixtures live in their tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def tiny_path() -> Path:
    """A small, valid, self-contained scenario using every part of the format."""
    return DATA / "tiny.yaml"


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write text to a file in a fresh folder and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
