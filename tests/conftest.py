"""Shared fixtures of the tests in tests/."""
import sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def msrc_root() -> Path:
    "The shared MSRC data (../shared/data/msrc or $FBR_SHARED_DATA/msrc); the test is skipped without it."
    sys.path.insert(0, str(ROOT))
    from fbr_nb.config import shared_data_dir
    root = shared_data_dir("msrc")
    if root is None: pytest.skip("MSRC not found in ../shared/data/msrc")
    return root
