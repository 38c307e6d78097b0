# The only two set-up commands a newcomer needs: `make run` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test install translations messages browser db demo clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# compiled catalogues are build products, not sources
translations: $(STAMP)
	$(BIN)/pybabel compile -d lms/translations >/dev/null

# after changing UI strings: extract them and merge them into the kk, ru and en catalogues
# (then translate the new kk and ru entries; English reads the source strings)
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _lp:1c,2 -k lazy_pgettext:1c,2 -k _ln:1,2 -k lazy_ngettext:1,2 \
	  -o lms/translations/messages.pot --no-location --sort-output --project ustaz .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching --ignore-obsolete

# the browser tests drive Debian's Chromium; never a downloaded browser
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

db: install translations
	$(BIN)/lms db upgrade
	$(BIN)/lms content load content/ --quiet
	$(BIN)/lms bank load content/banks --quiet
	$(BIN)/lms rubrics load content/rubrics --quiet

demo: db
	$(BIN)/lms demo

run: demo
	$(BIN)/lms run --host $(HOST) --port $(PORT) --no-reload

test: install translations browser
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance build *.egg-info
	find . -name '__pycache__' -prune -exec rm -rf {} +
