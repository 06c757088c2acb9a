# fbr_nb: every target installs what it needs into ./.venv first (Python 3.11, pinned stack).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fbr_nb-installed
# Pins that were seen to install together here (see DEVELOPERS.md / ../shared/notes/stack.md).
PINS := "nbdev==2.4.14" "fastcore<2" "execnb<0.2" "ghapi<2" "fastai==2.8.7" torch==2.14.1 torchvision==0.29.1

.PHONY: install test test-all demo tables table4 export clean-nbs nbs-outputs docs experiment bench mutate help

help:
	@echo "make test   - install (once), then run every notebook's tests (nbdev_test) and tests/ (pytest)"
	@echo "make demo   - install (once), then generate the embedded data, train baseline and +FBR, print the table"
	@echo "make test-all - as test, including the cells flagged slow"
	@echo "make tables - run every paper_tables notebook at its defaults (JOBS=2 at a time; about 3 h on 2 cores, Table II with its PSA/IRN refinement over 1 h of it), keep their executed copies in paper_tables/executed/, then paper_tables/README.md"
	@echo "make nbs-outputs - execute the method notebooks (nbs/NN*.ipynb) in place, the cells nbdev_test runs, and clean them: committed with outputs"
	@echo "make docs   - render README + every notebook + the executed experiments + every module as HTML into _site/ (offline; open _site/index.html)"
	@echo "make table4 [COCO=/path/to/coco] - Table IV: table_segmentation on COCO (default: coco128, 3 seeds; 93 min on one core of a shared 2-core CPU)"
	@echo "make experiment NAME=table_overhead ARGS='-p size 64' - run one experiment notebook, keep its executed copy in paper_tables/executed/"
	@echo "make bench  - the benchmarks in bench/ (ratios measured side by side)"
	@echo "make mutate - mutation score of the method core (mutmut; EVERY=N samples every N-th mutant; not part of CI)"

$(STAMP): settings.ini setup.py constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (fbr_nb needs Python 3.11; set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt $(PINS)
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[all,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name fbr_nb --display-name "fbr_nb (Python 3.11)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

export: $(STAMP)
	$(BIN)/nbdev_export

test: $(STAMP)
	source $(BIN)/activate && nbdev_test --n_workers 2 --timing
	source $(BIN)/activate && python -m pytest -q tests

test-all: $(STAMP)
	source $(BIN)/activate && nbdev_test --n_workers 2 --flags slow --timing
	source $(BIN)/activate && python -m pytest -q tests

demo: $(STAMP)
	source $(BIN)/activate && fbr_demo

# Ablations run JOBS at a time (threads split between them); runs shared between tables are made once (run cache).
TABLE_NBS ?= table_seeds ablation_components ablation_loss_weights ablation_sampling ablation_memory ablation_k \
             ablation_aux_weight ablation_heads ablation_pooling table_segmentation table_per_class
SERIAL_NBS ?= table_overhead
JOBS ?= 2
# each through tools/run_experiment.py: its executed copy (stamped) replaces paper_tables/executed/{}.ipynb when it succeeds
PAPERMILL = python tools/run_experiment.py {} > paper_tables/results/{}.log 2>&1 \
            && echo "done: {}" || { echo "FAILED: {} (see paper_tables/results/{}.log)"; exit 255; }
tables: $(STAMP)
	mkdir -p paper_tables/results
	source $(BIN)/activate && export OMP_NUM_THREADS=$$(( ($$(nproc) + $(JOBS) - 1) / $(JOBS) )) \
	  && printf '%s\n' $(TABLE_NBS) | xargs -P $(JOBS) -I{} bash -c '$(PAPERMILL)'
	source $(BIN)/activate && printf '%s\n' $(SERIAL_NBS) | xargs -I{} bash -c '$(PAPERMILL)'
	source $(BIN)/activate && python -c "from fbr_nb.tables import collect_readme; collect_readme()"

# each bench/ script on the CPU, then on CUDA when torch sees a GPU: one line per ratio against its goal, appended to bench/results.md
BENCH_DEVICES = cpu $$(python -c "import torch; print('cuda' if torch.cuda.is_available() else '')")
bench: $(STAMP)
	source $(BIN)/activate && for d in $(BENCH_DEVICES); do for f in bench/[a-z]*.py; do python $$f --device $$d || exit 1; done; done

clean-nbs: $(STAMP)
	source $(BIN)/activate && nbdev_clean

# The method notebooks are committed executed (what nbdev_test runs, skipping slow/experiment cells), JOBS at a time.
nbs-outputs: $(STAMP)
	source $(BIN)/activate && python tools/execute_nbs.py --jobs $(JOBS)

docs: $(STAMP)
	source $(BIN)/activate && python tools/build_docs.py --out _site

# Table IV: table_segmentation on COCO (default: the 126-image coco128 sample, every 4th image held out as val; give
# COCO=/path/to/coco for COCO 2014, with COCO_ARGS= to drop the holdout), its executed copy kept as table_segmentation_coco.
COCO ?= ../shared/data/coco128
COCO_ARGS ?= -p holdout 4 -y "scales: [0.2, 0.3]"
table4: $(STAMP)
	mkdir -p paper_tables/results
	source $(BIN)/activate && python tools/run_experiment.py --as table_segmentation_coco table_segmentation \
	  -p data coco -p data_root $(abspath $(COCO)) $(COCO_ARGS)
	source $(BIN)/activate && python -c "from fbr_nb.tables import collect_readme; collect_readme()"

# One experiment notebook through papermill; its executed copy (stamped: commit, date, machine, parameters) replaces
# paper_tables/executed/$(NAME).ipynb when the run succeeds. ARGS: papermill's -p / -y arguments.
experiment: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make experiment NAME=<notebook in nbs/> [ARGS='-p key value']"; exit 1; }
	source $(BIN)/activate && OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$$(nproc)} python tools/run_experiment.py $(NAME) $(ARGS)

# Mutation testing (mutmut 3, settings in setup.cfg): the notebooks' tests run against the library
# (tests/test_library_notebooks.py) for each mutant of the method core; writes mutants/score.md.
# EVERY=N runs a deterministic sample (every N-th mutant in name order); EVERY=1 runs them all (hours on 2 cores).
EVERY ?= 1
mutate: $(STAMP)
	source $(BIN)/activate && pip install -q "mutmut==3.8.1"
	rm -rf mutants
	source $(BIN)/activate && mutmut run "fbr_nb.no_such_module*" > /dev/null 2>&1 || true   # generates the mutants only
	source $(BIN)/activate && mutmut results --all true > mutants/all.txt && python tools/mutation_score.py --every $(EVERY) mutants/all.txt > mutants/selected.txt
	source $(BIN)/activate && export OMP_NUM_THREADS=1 MPLBACKEND=Agg && mutmut run $$(cat mutants/selected.txt) > mutants/run.log 2>&1 || true
	source $(BIN)/activate && mutmut results --all true > mutants/results.txt; python tools/mutation_score.py --only mutants/selected.txt mutants/results.txt | tee mutants/score.md
