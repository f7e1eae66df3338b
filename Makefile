# exportres developer tasks. `make replicate` and `make test` are the two commands
# a fresh machine needs (README.md); both install what they need first.
R       ?= R
RSCRIPT ?= Rscript
PKG     := exportres
VERSION := $(shell sed -n 's/^Version: *//p' DESCRIPTION)
TARBALL := $(PKG)_$(VERSION).tar.gz
CHECK_ENV := _R_CHECK_SYSTEM_CLOCK_=0 _R_CHECK_CRAN_INCOMING_REMOTE_=false \
             _R_CHECK_CRAN_INCOMING_=false

.PHONY: all deps document install test check valgrind bench replicate screenshot clean

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

# The package's own tests under valgrind; fails on any valgrind error.
valgrind: install
	EXPORTRES_VALGRIND=1 $(R) -d "valgrind --error-exitcode=1 --leak-check=no \
	  --track-origins=yes --suppressions=tools/valgrind.supp" --vanilla \
	  -f tools/run-tests.R 2>&1 | tee valgrind.log
	@grep -q "ERROR SUMMARY: 0 errors" valgrind.log || { echo "valgrind found errors"; exit 1; }

bench: install
	@for f in bench/*.R; do $(RSCRIPT) $$f || exit 1; done

# The main job: tables of the paper on the bundled data, printed and written as HTML.
replicate: install
	$(RSCRIPT) tools/replicate.R

clean:
	rm -rf $(PKG).Rcheck $(TARBALL) src/*.o src/*.so valgrind.log replication

# The replication report as a browser shows it: headless Chromium (Debian's chromium and
# fonts-noto-cjk, installed when missing and run as root) writes replication/report.png.
screenshot: replicate
	bash tools/screenshot.sh replication/exportres-replication.html replication/report.png
