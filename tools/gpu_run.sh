#!/usr/bin/env bash
# One prepared run for a lent GPU machine (../shared/notes/gpu.md): issue #11's GPU benchmarks (every ratio against
# its goal, and a FBR step under torch.cuda.set_sync_debug_mode("error")), then issue #9's component study at GPU
# scale for STUDY_S seconds. Everything lands in $OUT: bench.txt, results.md, study.txt, runs.jsonl, settings.json.
#
# Prepare here (ignored folders): the wheels of gpu.md in .whl/, and `cp -r ../shared/data/msrc .gpu_data/msrc`.
# Device:  run(command="bash tools/gpu_run.sh", carry=[".whl", ".gpu_data"], timeout_s=580)
# CPU try: OUT=/tmp/gpu_try DEVICE=cpu SMOKE=1 DATA=../shared/data/msrc bash tools/gpu_run.sh   (tests/test_gpu_script.py)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to the folder that comes back}; DEVICE=${DEVICE:-cuda}; STUDY_S=${STUDY_S:-420}; SMOKE=${SMOKE:-0}
DATA=${DATA:-.gpu_data/msrc}
mkdir -p "$OUT"
if [ -d .whl ] && ! python3 -c "import fastai" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONPATH=${PYTHONPATH:-$PWD}
PY=python3; command -v python3 >/dev/null || PY=python
{ date -u; $PY -c "import torch; print(torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu')"; } > "$OUT/bench.txt" 2>&1
if [ "$SMOKE" = 1 ]; then BK="--sizes 16 --repeats 3 --warmup 1 --no-log"; BS="--nets efficientnet_lite2:64:2 --repeats 2 --warmup 1 --no-log"
else BK=""; BS=""; fi
$PY bench/nroi_kmeans.py --device "$DEVICE" $BK >> "$OUT/bench.txt" 2>&1 || echo "nroi_kmeans.py failed" >> "$OUT/bench.txt"
$PY bench/fbr_step.py --device "$DEVICE" $BS >> "$OUT/bench.txt" 2>&1 || echo "fbr_step.py failed" >> "$OUT/bench.txt"
cp bench/results.md "$OUT/results.md"
if [ "$SMOKE" = 1 ]; then SA="--size 64 --epochs 1 --n_train 8 --scales 0.25 --variants baseline fbr_paper --seeds 0 --jobs 2 --freeze 4"
# GPU: the baseline, the paper's FBR, both public versions' FBR (EPS/PPC, AMN) and the control, 4 seeds: 20 runs at
# once (12 MSRC runs at 320 px, 20 epochs took 410 s on an H200 before the no-sync work; 20 may need STUDY_S ~ 700)
else SA="--variants baseline fbr_paper fbr_code fbr_amn null_heads --seeds 0 1 2 3 --jobs 20 --threads 1"; fi
timeout "$STUDY_S" $PY tools/gpu_study.py --data "$DATA" --out "$OUT" --device "$DEVICE" $SA > "$OUT/study.txt" 2>&1
echo "study exit $?" >> "$OUT/study.txt"
tail -n 30 "$OUT/bench.txt" "$OUT/study.txt"
