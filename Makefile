# gilbench: `make bench` measures and reports, `make test` tests. Both set themselves up.
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
GILBENCH := $(VENV)/bin/gilbench
PROFILE ?= default
RESULTS ?= results
REPORT  ?= $(RESULTS)/report.html
# Interpreters to measure, e.g. PYTHONS="3.9 3.12 3.13t /path/to/python"; empty: the project's own.
PYTHONS ?=
MACHINE ?=
RUNS    ?=
BASELINE ?=
FORMAT  ?= text
# Your own function, e.g. WORKLOAD=mypkg.tasks:resize_image WORKLOAD_ARGS='{"size": 64}' WORKLOAD_PATH=~/src
WORKLOAD ?=
WORKLOAD_ARGS ?=
WORKLOAD_PATH ?=
# make gate: the current tree (new) against BASE (a folder or git:REV), interleaved; THRESHOLD e.g. 10%;
# SUMMARY=FILE appends the markdown outcome to FILE (in CI: SUMMARY="$$GITHUB_STEP_SUMMARY").
BASE    ?= git:main
THRESHOLD ?=
# Seconds of rounds per variant on the default profile; empty: the profile's own 60 s (7-9 rounds
# here: a +10 % variant failed the gate in 9 of 10 runs). GATE_BUDGET=120 gives 16-18 rounds in twice
# the time (docs/decisions.md).
GATE_BUDGET ?=
SUMMARY ?=
GATE_RESULTS ?= $(RESULTS)/gate
RUN_ARGS = --profile $(PROFILE) --results $(RESULTS) $(if $(MACHINE),--machine $(MACHINE)) \
	$(if $(WORKLOAD),--workload $(WORKLOAD)) $(if $(WORKLOAD_ARGS),--workload-args '$(WORKLOAD_ARGS)') \
	$(if $(WORKLOAD_PATH),--path $(WORKLOAD_PATH))

.PHONY: bench quick report advise gate test lint venv clean python-ft clean-ft aa

venv: $(VENV)/.installed

# editable_mode=compat puts the checkout on sys.path with a plain .pth line: the default editable
# finder imports pathlib, re and urllib in every interpreter the venv starts (~50 ms a start here),
# and every cell, capacity probe and test subprocess is a fresh interpreter.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $@

# With WORKLOAD, only your function is measured (no catalogue, no micro-benchmarks).
bench: venv
	@set -e; runs=$$($(GILBENCH) run $(RUN_ARGS) $(foreach p,$(PYTHONS),--python $(p))); \
	for run in $(if $(WORKLOAD),,$$runs); do $(PY) -m bench.run --run-dir $$run; done
	@$(GILBENCH) report --results $(RESULTS) --output $(REPORT) >/dev/null
	@$(GILBENCH) advise --results $(RESULTS) --format brief
	@echo "report: $(REPORT); the reasons behind each advice: make advise"

quick:
	$(MAKE) bench PROFILE=quick

report: venv
	$(GILBENCH) report --results $(RESULTS) --output $(REPORT) $(if $(BASELINE),--baseline $(BASELINE)) $(RUNS)

# Which executor, how many workers, which interpreter, per workload (report/analysis/advice.py).
advise: venv
	$(GILBENCH) advise --results $(RESULTS) --format $(FORMAT) $(if $(BASELINE),--baseline $(BASELINE)) $(RUNS)

# Is the current tree slower than BASE for WORKLOAD? Both measured in the same rounds; exit 1 if slower.
gate: venv
	@test -n "$(WORKLOAD)" || { echo "make gate: name the function, e.g. WORKLOAD=mypkg.tasks:resize_image" >&2; exit 2; }
	@set -e; runs=$$($(GILBENCH) run --profile $(PROFILE) --results $(GATE_RESULTS) \
		$(if $(and $(GATE_BUDGET),$(filter default,$(PROFILE))),--budget $(GATE_BUDGET)) \
		$(if $(MACHINE),--machine $(MACHINE)) --workload $(WORKLOAD) \
		$(if $(WORKLOAD_ARGS),--workload-args '$(WORKLOAD_ARGS)') $(if $(WORKLOAD_PATH),--path $(WORKLOAD_PATH)) \
		--variant base=$(BASE) --variant new=.); \
	$(GILBENCH) report $$runs --output $(GATE_RESULTS)/report.html --fail-on slower \
		$(if $(THRESHOLD),--threshold $(THRESHOLD)) $(if $(SUMMARY),--format markdown >> "$(SUMMARY)")

# Calibration: A/A and A/B (+10 %) pairs, interleaved and separately started, into $(RESULTS)/aa (scripts/aa.py).
# AA_ROUNDS=N: exactly N interleaved rounds (the per-cell rates need many on a noisy machine: aa says how many).
AA_ROUNDS ?=
aa: venv
	$(PY) scripts/aa.py --profile $(PROFILE) --results $(RESULTS)/aa $(if $(AA_ROUNDS),--rounds $(AA_ROUNDS))

# Two passes: the tests that check behaviour share the cores (pytest-xdist, TEST_JOBS workers: one
# more than the cores, as those tests spend a good part of their time waiting on subprocesses and
# sleeps); the tests that measure (marked `measured`) then run one at a time, so no other test
# competes with them. Both passes always run; make fails if either failed.
TEST_JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: venv
	status=0; \
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist worksteal -m "not measured" tests || status=$$?; \
	$(PY) -m pytest -q -m measured tests || status=$$?; \
	exit $$status

lint: venv
	$(PY) -m ruff check gilbench experiments report bench tests scripts
	$(PY) -m ruff format --check gilbench experiments report bench tests scripts

# A free-threaded CPython (--disable-gil) built from Debian's source package into python-ft/.
python-ft:
	bash scripts/build-python-ft.sh

clean:
	rm -rf $(VENV) .venv-bench build *.egg-info

clean-ft:
	rm -rf build-ft python-ft
