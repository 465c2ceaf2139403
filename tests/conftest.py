"""pytest setup shared by every test: the corpus importable as `corpus`, the `slow` marker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

import corpus  # noqa: E402  (needs the path above)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: MobileNetV2-sized work; deselect with -m 'not slow'")


@pytest.fixture(scope="session")
def mediapipe_model_paths() -> list[Path]:
    """The 14 mediapipe .tflite files (downloaded from PyPI on the first run only)."""
    return corpus.mediapipe_models()
