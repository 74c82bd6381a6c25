# rotaug: the two commands of the README.
#   make demo   set up .venv if needed, then run the main job on the embedded default
#   make test   set up .venv if needed, then run the whole test suite
PY := .venv/bin/python
PYTEST_ARGS ?= -q

.PHONY: setup demo test bench clean-venv

setup:
	@bash tools/setup_env.sh

demo: setup
	@$(PY) tools/demo.py $(DEMO_ARGS)

test: setup
	@$(PY) -m pytest $(PYTEST_ARGS) tests

bench: setup
	@$(PY) tools/benchmarks/transform_speed.py

clean-venv:
	rm -rf .venv
