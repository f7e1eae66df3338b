# exportres developer tasks. `make replicate` and `make test` are the two commands
# a fresh machine needs (README.md); both install what they need first.
SHELL   := /bin/bash
R       ?= R
RSCRIPT ?= Rscript
PKG     := exportres
VERSION := $(shell sed -n 's/^Version: *//p' DESCRIPTION)
TARBALL := $(PKG)_$(VERSION).tar.gz
CHECK_ENV := _R_CHECK_SYSTEM_CLOCK_=0 _R_CHECK_CRAN_INCOMING_REMOTE_=false \
             _R_CHECK_CRAN_INCOMING_=false

.PHONY: all deps document install test check valgrind sanitize gctorture bench replicate screenshot clean

all: install

deps:
	bash tools/deps.sh

document: deps
	$(RSCRIPT) -e 'roxygen2::roxygenise()'

install: deps
	$(R) CMD INSTALL --preclean --no-multiarch .

# The package's tests against the installed package; last line: "N passed, N failed".
test: install
	$(RSCRIPT) tools/run-tests.R

check: deps
	rm -rf $(PKG).Rcheck $(TARBALL)
	$(R) CMD build .
	env $(CHECK_ENV) $(R) CMD check --as-cran --no-manual $(TARBALL)
	@if grep -E "^Status: .*(ERROR|WARNING|NOTE)" $(PKG).Rcheck/00check.log; then \
	  echo "R CMD check is not clean"; exit 1; fi

# The package's tests under valgrind; fails on any valgrind error. By default
# only the hostile-input table (every exported function on tiny data, valid and
# invalid input, reaching every .Call routine), so that it fits in CI;
# `make valgrind VALGRIND_TESTS=` runs every file (about 35 min). The
# cross-checks against reference packages, the .Call fuzz and the parallel and
# interrupt tests (which `make sanitize` runs) are skipped there (EXPORTRES_VALGRIND).
VALGRIND_TESTS ?= hostile-input
valgrind: install
	EXPORTRES_VALGRIND=1 EXPORTRES_TEST_FILTER="$(VALGRIND_TESTS)" $(R) -d "valgrind --error-exitcode=1 --leak-check=no \
	  --track-origins=yes --suppressions=tools/valgrind.supp" --vanilla \
	  -f tools/run-tests.R 2>&1 | tee valgrind.log
	@grep -q "ERROR SUMMARY: 0 errors" valgrind.log || { echo "valgrind found errors"; exit 1; }

# The package built with AddressSanitizer and UndefinedBehaviorSanitizer
# (tools/sanitize.mk) into a library of its own, and the tests selected by
# SANITIZE_TESTS (default: all) run with the sanitizer runtime preloaded (R is
# not instrumented; leak detection is off, R's own allocations would flood it).
# Any sanitizer report aborts R and fails the target; the last lines of
# sanitize.log give the counts.
SAN_LIB   := $(CURDIR)/sanitize-lib
ASAN_RT    = $(shell $$($(R) CMD config CC | cut -d' ' -f1) -print-file-name=libasan.so)
SANITIZE_TESTS ?=
sanitize: deps
	rm -rf $(SAN_LIB) && mkdir -p $(SAN_LIB)
	R_MAKEVARS_USER=$(CURDIR)/tools/sanitize.mk $(R) CMD INSTALL --preclean --no-multiarch --no-test-load \
	  -l $(SAN_LIB) . > sanitize.log 2>&1 || { tail -n 30 sanitize.log; exit 1; }
	rm -f src/*.o src/*.so
	set -o pipefail; LD_PRELOAD=$(ASAN_RT) R_LIBS=$(SAN_LIB):$${R_LIBS:-} \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 EXPORTRES_TEST_FILTER="$(SANITIZE_TESTS)" \
	  $(RSCRIPT) tools/run-tests.R 2>&1 | tee -a sanitize.log
	@if grep -E "ERROR: AddressSanitizer|runtime error:" sanitize.log; then \
	  echo "sanitizers reported errors"; exit 1; fi
	@echo "sanitize: 0 AddressSanitizer reports, 0 UndefinedBehaviorSanitizer reports"

# Every registered .Call routine on tiny valid inputs under gctorture(TRUE)
# (tools/gctorture.R): catches a missing PROTECT.
gctorture: install
	$(RSCRIPT) tools/gctorture.R

bench: install
	@for f in bench/*.R; do $(RSCRIPT) $$f || exit 1; done

# The main job: tables of the paper on the bundled data, printed and written as HTML.
replicate: install
	$(RSCRIPT) tools/replicate.R

clean:
	rm -rf $(PKG).Rcheck $(TARBALL) src/*.o src/*.so valgrind.log sanitize.log sanitize-lib replication

# The replication report as a browser shows it: headless Chromium (Debian's chromium and
# fonts-noto-cjk, installed when missing and run as root) writes replication/report.png.
screenshot: replicate
	bash tools/screenshot.sh replication/exportres-replication.html replication/report.png
