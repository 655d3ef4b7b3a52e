# termbook: `make site` builds the site into site/, `make test` runs every test.
# Both create the virtual environment .venv first (Python >= 3.12 needed).

PYTHON ?= $(shell command -v python3.12 || command -v python3.13 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export NO_MKDOCS_2_WARNING := 1

.PHONY: site test lint serve check render bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { \
	  echo "termbook needs Python >= 3.12, but '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Install 3.12 (e.g. 'pyenv install 3.12') or run: make PYTHON=/path/to/python3.12"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,figures,equivalents]'
	@touch $(STAMP)

# Build into a fresh directory and swap it in only on success: a failed build keeps the old site/.
site: $(STAMP)
	rm -rf .site-build
	$(BIN)/mkdocs build --strict --site-dir .site-build
	rm -rf .site-old && { [ ! -e site ] || mv site .site-old; } && mv .site-build site && rm -rf .site-old
	@echo "built site/ (open site/index.html, also from file://)"

test: lint
	$(BIN)/python -m pytest -n auto -p no:cacheprovider

# lint, format and types (zero findings); part of `make test`
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# the finished site as Markdown for any Material-compatible generator (e.g. zensical build -f render/mkdocs.yml)
render: $(STAMP)
	$(BIN)/termbook render --out render

# an edit of a term or snippet rebuilds only the pages it changes (see README); anything else the whole site
serve: $(STAMP)
	$(BIN)/mkdocs serve --livereload

check: $(STAMP)
	$(BIN)/termbook check

clean:
	rm -rf .site-build .site-old site .cache render
