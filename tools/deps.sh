#!/usr/bin/env bash
# Installs what building, testing, checking and benchmarking exportres needs, on a fresh
# machine with R, its recommended packages and testthat. Debian's prebuilt r-cran-* packages
# first (built for this R), CRAN sources only for what Debian lacks. R's recommended packages
# are never upgraded: current CRAN versions of them need a newer R.
set -eu

apt_pkgs="pandoc qpdf r-cran-roxygen2 r-cran-pkgbuild r-cran-knitr r-cran-rmarkdown r-cran-generics r-cran-plm
  r-cran-matchit r-cran-aer r-cran-lmtest r-cran-sandwich r-cran-data.table r-cran-misctools
  r-cran-maxlik r-cran-rcpp r-cran-formula r-cran-numderiv r-cran-ucminf r-cran-quadprog
  r-cran-systemfit r-cran-vgam r-cran-car r-cran-lpsolve r-cran-rcppeigen r-cran-bh
  r-cran-cubature r-cran-nleqslv r-cran-doparallel r-cran-httr r-cran-rcppparallel r-cran-openssl
  r-cran-mvtnorm r-cran-pbapply r-cran-ggplot2 r-cran-tidyr r-cran-cli
  texlive-latex-base texlive-latex-recommended texlive-xetex texlive-lang-cjk texlive-lang-chinese"
# The TeX packages are the smallest Debian set that compiles the LaTeX tables in the tests:
# pdflatex with booktabs (latex-recommended) and threeparttable (latex-extra, pulled in by xetex),
# xelatex with xeCJK (lang-cjk) and its ctexhook (lang-chinese, which also brings the AR PL
# Chinese fonts). Measured on a machine without TeX: 30 packages, about 610 MB installed,
# 200 s (85 s for the first four, 116 s for lang-chinese, mostly font caches).
# mvtnorm (sampleSelection), pbapply, ggplot2 and tidyr (did) and cli come prebuilt instead of
# from CRAN source; Debian's r-cran-igraph (1.3.5) is not listed: economiccomplexity needs
# igraph >= 2.0.0, which tools/deps.R installs from CRAN.
# RcppEigen and BH (Debian's) are build dependencies of fastglm, which DRDID and did need.
# Debian's r-cran-data.table (1.14.8) is older than did needs: tools/deps.R installs a newer
# one from CRAN source into /usr/local/lib/R/site-library (data.table is not one of R's
# recommended packages), before did, DRDID and didimputation.

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $apt_pkgs; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    echo "deps: apt-get install$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

Rscript tools/deps.R
