"""Shared by the bench/ scripts: interleaved medians, one line per ratio against its goal, and the results log."""
import datetime, statistics, subprocess, time
from pathlib import Path
import torch

RESULTS = Path(__file__).resolve().parent / "results.md"


def device_arg(ap):
    "Adds --device (cpu default; cuda when asked and available)."
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument("--no-log", action="store_true", help="do not append to bench/results.md")


def check_device(name: str) -> torch.device:
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available(): raise SystemExit(f"--device {name}: no CUDA GPU here")
    return dev


def describe(dev: torch.device) -> str:
    if dev.type == "cuda": return f"cuda ({torch.cuda.get_device_name(dev)})"
    return f"cpu ({torch.get_num_threads()} torch threads)"


def interleaved_times(fns: dict, repeats: int, warmup: int, dev: torch.device) -> dict:
    """Seconds of each callable in each of `repeats` rounds after `warmup` rounds; one call of each per round, in
    forward then reverse order on alternate rounds (drift and cache effects hit all alike)."""
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    times = {k: [] for k in fns}
    for r in range(warmup + repeats):
        for k, f in (list(fns.items()) if r % 2 == 0 else list(fns.items())[::-1]):
            sync(); t = time.perf_counter(); f(); sync()
            if r >= warmup: times[k].append(time.perf_counter() - t)
    return times


def median(v) -> float: return statistics.median(v)


def paired_ratio(a: list, b: list) -> float:
    "Median over rounds of a[i] / b[i]: each pair ran back to back, so load on a shared machine cancels out."
    return statistics.median(x / y for x, y in zip(a, b))


def goal_line(what: str, value: float, goal: str, ok=None, unit: str = "x") -> str:
    "One line: the measured value, its goal, and OK / MISSED when the goal applies to this device (None: informational)."
    verdict = "" if ok is None else (" OK" if ok else " MISSED")
    return f"{what}: {value:.2f}{unit} ({goal}){verdict}"


def commit() -> str:
    try:
        h = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=RESULTS.parent).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                               cwd=RESULTS.parent).stdout.strip()
        return (h or "unknown") + ("+uncommitted" if dirty else "")
    except OSError: return "unknown"


def log_results(script: str, dev: torch.device, setup: str, lines: list, no_log: bool = False):
    "Print the lines; append them to bench/results.md under a header with script, device, date (UTC) and commit."
    for l in lines: print(l)
    if no_log: return
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    new = not RESULTS.exists()
    with open(RESULTS, "a") as f:
        if new: f.write("# Benchmark results log\n\nAppended by `make bench` (bench/*.py); newest last. Ratios are medians measured side by side in one run.\n")
        f.write(f"\n## {script}: {describe(dev)}, {stamp}, commit {commit()}\n\n{setup}\n\n")
        f.writelines(f"- {l}\n" for l in lines)
