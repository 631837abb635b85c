# effvit: the two commands are `make demo` and `make test`; both create .venv and install when needed.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Nothing may reach the network; the working tree's effvit wins over any installed copy (also in git worktrees).
export PYTHONPATH := $(CURDIR)
export MPLBACKEND := Agg
export HF_HUB_OFFLINE := 1
export PYTHONWARNINGS := ignore::FutureWarning
NB_WORKERS ?= 2

.PHONY: help install demo demo-full test test-slow test-nbs test-py check-export export clean-nbs readme docs clean

help:
	@echo "make demo       train a small model of each family on Shapes (CPU, ~1 min each), print the table, save the plot"
	@echo "make demo-full  the same with the chapters' full budgets (~3 min each)"
	@echo "make test       export check + nbdev_test (no slow cells) + pytest tests   (what CI runs)"
	@echo "make test-slow  the same with the slow cells"
	@echo "make docs       build the docs (Quarto where present, else processed notebooks -> HTML in _docs/)"
	@echo "make readme     regenerate README.md from nbs/index.ipynb"

install: $(STAMP)
# A venv left half-made (no pip) is rebuilt; a failed venv says why (ensurepip fails silently on a full disk).
$(STAMP): settings.ini setup.py constraints.txt
	if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then
	  rm -rf $(VENV)
	  $(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV) with '$(PYTHON) -m venv'. Free space here: $$(df -h . | awk 'NR==2 {print $$4}') (the install needs about 6 GB)." >&2; rm -rf $(VENV); exit 1; }
	fi
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --quick --out demo_out

demo-full: $(STAMP)
	$(BIN)/python scripts/demo.py --out demo_out

test: $(STAMP) check-export test-nbs test-py

test-slow: NBDEV_FLAGS = --flags slow
test-slow: $(STAMP) check-export test-nbs test-py

# The notebooks are the source: exporting them must not change effvit/.
check-export: $(STAMP)
	rm -rf .cache/export-check && mkdir -p .cache/export-check && cp -r effvit .cache/export-check/
	$(BIN)/nbdev_export
	if ! diff -r -q -x __pycache__ .cache/export-check/effvit effvit; then
	  echo "effvit/ was out of sync with nbs/: nbdev_export changed the files above. Commit the exported library."; exit 1
	fi

# Notebook workers share the cores: one thread each (no oversubscription); trained baselines are cached in-tree.
test-nbs: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 EFFVIT_CACHE=$(CURDIR)/.cache/effvit \
	  $(BIN)/nbdev_test --n_workers $(NB_WORKERS) --timing $(NBDEV_FLAGS)

test-py: $(STAMP)
	EFFVIT_CACHE=$(CURDIR)/.cache/effvit $(BIN)/python -m pytest tests -q

export: $(STAMP)
	$(BIN)/nbdev_export

clean-nbs: $(STAMP)
	$(BIN)/nbdev_clean --fname nbs

readme: $(STAMP)
	$(BIN)/python scripts/docs.py readme

docs: $(STAMP)
	$(BIN)/python scripts/docs.py site

clean:
	rm -rf _docs _proc build dist *.egg-info .cache/export-check
