"""The prepared GPU run (tools/gpu_run.sh) works, tried on the CPU at toy size: a session that is lent a GPU can run it
once without debugging it on the device's clock."""
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_run_script_on_cpu(tmp_path, msrc_root):
    env = {**os.environ, "OUT": str(tmp_path), "DEVICE": "cpu", "SMOKE": "1", "DATA": str(msrc_root), "STUDY_S": "300",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "OMP_NUM_THREADS": "1"}
    r = subprocess.run(["bash", str(ROOT / "tools" / "gpu_run.sh")], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    bench = (tmp_path / "bench.txt").read_text()
    assert "extract_nrois new / reference" in bench and "FBR step / baseline step" in bench and "failed" not in bench, bench[-3000:]
    assert "no host sync in FBRLoss's forward + the step's backward" in bench and ": OK" in bench
    runs = [json.loads(l) for l in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert sorted(x["job"]["name"] for x in runs) == ["baseline", "fbr_paper"] and all(x["error"] is None for x in runs)
    study = (tmp_path / "study.txt").read_text()
    assert "study exit 0" in study and "fbr_paper" in study and "Δ" in study
