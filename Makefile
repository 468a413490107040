# ctkb: `make demo` (index + score + app) and `make test`. Everything installs into .venv.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The demo indexes the fictional sample corpus unless CTKB_CORPUS names another;
# the tests need the real corpus, beside the checkout by default.
ifeq ($(origin CTKB_CORPUS), undefined)
DEMO_CORPUS := corpus
TEST_CORPUS := ../shared/corpus
else
DEMO_CORPUS := $(CTKB_CORPUS)
TEST_CORPUS := $(CTKB_CORPUS)
endif
PORT ?= 8501
# Tesseract language packs for OCR of scanned PDFs: the corpus languages.
TESSERACT_LANGS := eng spa fra por ara nld msa ind ben
TESSERACT_PKGS := tesseract-ocr $(addprefix tesseract-ocr-,$(TESSERACT_LANGS))

.PHONY: setup index score demo app test bench stress clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@# Debian's chromium, which Playwright drives in the browser test and `make bench` (never `playwright install`).
	@command -v chromium >/dev/null || apt-get install -y -q chromium >$(VENV)/chromium-install.log 2>&1 \
		|| sudo apt-get install -y -q chromium >>$(VENV)/chromium-install.log 2>&1 \
		|| { echo "error: chromium is missing and 'apt-get install -y chromium' failed (see $(VENV)/chromium-install.log);" \
			"install Debian's chromium, then rerun make" >&2; exit 1; }
	@# Debian's LibreOffice Writer: the export tests convert the Word gap memo to PDF with it.
	@command -v soffice >/dev/null || apt-get install -y -q libreoffice-writer >$(VENV)/libreoffice-install.log 2>&1 \
		|| { apt-get update -q && apt-get install -y -q libreoffice-writer; } >>$(VENV)/libreoffice-install.log 2>&1 \
		|| sudo apt-get install -y -q libreoffice-writer >>$(VENV)/libreoffice-install.log 2>&1 \
		|| { echo "error: soffice is missing and 'apt-get install -y libreoffice-writer' failed" \
			"(see $(VENV)/libreoffice-install.log); install Debian's libreoffice-writer, then rerun make" >&2; exit 1; }
	@# Debian's Tesseract and language packs: `ctkb index` OCRs scanned PDF pages with them.
	@missing=$$(for l in $(TESSERACT_LANGS); do tesseract --list-langs 2>/dev/null | grep -qx $$l || echo $$l; done); \
	test -z "$$missing" || apt-get install -y -q $(TESSERACT_PKGS) >$(VENV)/tesseract-install.log 2>&1 \
		|| { apt-get update -q && apt-get install -y -q $(TESSERACT_PKGS); } >>$(VENV)/tesseract-install.log 2>&1 \
		|| sudo apt-get install -y -q $(TESSERACT_PKGS) >>$(VENV)/tesseract-install.log 2>&1 \
		|| { echo "error: Tesseract packs missing ($$missing) and 'apt-get install -y $(TESSERACT_PKGS)' failed" \
			"(see $(VENV)/tesseract-install.log); install them, then rerun make" >&2; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	@# CPU PyTorch from local disk first, so nothing later pulls a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

index: setup
	CTKB_CORPUS=$(DEMO_CORPUS) $(VENV)/bin/ctkb index

score: index
	CTKB_CORPUS=$(DEMO_CORPUS) $(VENV)/bin/ctkb score

demo: score
	@echo "Opening the app on http://localhost:$(PORT) (Ctrl-C to stop)"
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

# Two workers for two cores, each test file whole on one; the real corpus is indexed once (tests/conftest.py).
test: setup
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m pytest -q -n 2 --dist loadfile --durations=15

bench: setup
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m bench.search
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m bench.score
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m bench.app
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m bench.ocr

# Reliability on the real corpus (README "Reliability"): SIGKILL during indexing/scoring,
# concurrent review writers, backup -> restore, 2,000 mutated documents, a 1,500-page PDF.
stress: setup
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m stress.kill
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m stress.reviews
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m stress.backup
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m stress.fuzz
	CTKB_CORPUS=$(TEST_CORPUS) $(PY) -m stress.bigpdf

clean:
	rm -rf .ctkb .pytest_cache .hypothesis
