# The two commands of the README's Quick start: `make run` and `make test`.
# Each creates .venv with the project installed if it is missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test browser clean

run: $(VENV)/.installed
	$(BIN)/siwei up

test: $(VENV)/.installed browser
	$(BIN)/pytest

# The GraphiQL test drives Debian's Chromium. Installed here where apt-get can (as root);
# elsewhere that one test is skipped, and says why.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium; } >/dev/null 2>&1; } || echo "make: no Chromium here; the GraphiQL browser test is skipped"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .siwei
