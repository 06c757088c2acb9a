"""Issue #14's one-line breakages of the method, each applied to a copy of the package: the notebook that should
notice must fail (tools/check_listed_mutants.py has the list and the runner)."""
import importlib.util
from pathlib import Path
import pytest

_p = Path(__file__).resolve().parents[1] / "tools" / "check_listed_mutants.py"
_spec = importlib.util.spec_from_file_location("check_listed_mutants", _p)
clm = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(clm)


@pytest.mark.parametrize("change", clm.CHANGES, ids=[c[0] for c in clm.CHANGES])
def test_breakage_is_caught(change):
    assert clm.check(*change), f"no test noticed: {change[0]}"
