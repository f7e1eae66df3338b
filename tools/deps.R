# CRAN packages Debian does not ship (or that apt could not install here). Only missing
# packages are installed; nothing already present is upgraded, except a reference
# package older than the minimum version below.
needed <- c(
  # building and documenting
  "roxygen2", "knitr", "rmarkdown", "generics", "testthat",
  # reference implementations the tests compare against
  "fixest", "plm", "frontier", "Benchmarking", "sampleSelection", "MatchIt", "AER",
  "sandwich", "lmtest", "economiccomplexity", "REAT", "wooldridge", "cragg", "sfaR", "ivreg",
  # tables: modelsummary compatibility is tested
  "modelsummary"
)
# Minimum versions of reference packages whose older releases have known bugs
# the tests would trip on (MatchIt < 4.5.4: calipers and ratio > 1 with
# replacement; Debian ships 4.5.1). Older installs are upgraded, with the
# newer dependencies they need.
minimum <- list(MatchIt = list(version = "4.5.4", with = c("cli", "arg")))
# Staggered adoption references, installed last and in this order: data.table (a newer one
# than Debian's, see below), did, DRDID, didimputation.
staggered <- c("did", "DRDID", "didimputation")
have <- rownames(installed.packages())
repos <- getOption("repos")
if (is.null(repos) || identical(unname(repos["CRAN"]), "@CRAN@")) {
  repos <- c(CRAN = "https://cloud.r-project.org")
}
# modelsummary's table engine (tinytable) registers a method for xfun::record_print, which
# Debian's xfun (0.37) lacks; CRAN's xfun in turn needs a knitr newer than Debian's. Neither
# is a recommended package.
if ("xfun" %in% have && !("record_print" %in% getNamespaceExports("xfun"))) {
  message("deps: install.packages(xfun, knitr, highr) (newer than Debian's, for tinytable)")
  install.packages(c("xfun", "knitr", "highr"), repos = repos, dependencies = NA, quiet = TRUE)
}
# Packages that must be at least this version; an older one (e.g. Debian's r-cran-data.table
# 1.14.8, while did needs >= 1.15.4) is replaced by CRAN's source package, installed into the
# site library (EXPORTRES_DEPS_LIB overrides it, for testing this script). Only packages that
# are not among R's recommended ones may be listed here.
min_versions <- c(data.table = "1.15.4")
site_lib <- Sys.getenv("EXPORTRES_DEPS_LIB", "/usr/local/lib/R/site-library")
recommended <- rownames(installed.packages(priority = "recommended"))
too_old <- function(pkg, min) {
  v <- tryCatch(utils::packageVersion(pkg), error = function(e) NULL)
  is.null(v) || v < min
}
todo <- setdiff(needed, have)
for (p in names(minimum)) {
  if (p %in% have && utils::packageVersion(p) < minimum[[p]]$version) {
    todo <- union(todo, c(minimum[[p]]$with, p))
  }
}
if (length(todo)) {
  message("deps: install.packages(", paste(todo, collapse = ", "), ")")
  options(Ncpus = 2L)
  # dependencies = NA: Depends/Imports/LinkingTo only; "recommended" packages that are already
  # installed are skipped by install.packages, so Matrix and friends are never replaced.
  install.packages(todo, repos = repos, dependencies = NA, quiet = TRUE)
  still <- setdiff(todo, rownames(installed.packages()))
  if (length(still)) stop("deps: could not install: ", paste(still, collapse = ", "))
  for (p in names(minimum)) {
    if (utils::packageVersion(p) < minimum[[p]]$version) {
      stop("deps: ", p, " is still older than ", minimum[[p]]$version)
    }
  }
}
for (pkg in names(min_versions)) {
  if (pkg %in% recommended) stop("deps: ", pkg, " is a recommended package; it is never upgraded")
  if (too_old(pkg, min_versions[[pkg]])) {
    message("deps: install.packages(", pkg, ") from source into ", site_lib, " (need >= ",
            min_versions[[pkg]], ")")
    dir.create(site_lib, showWarnings = FALSE, recursive = TRUE)
    install.packages(pkg, lib = site_lib, repos = repos, type = "source", dependencies = NA,
                     quiet = TRUE)
    if (!pkg %in% loadedNamespaces() &&
        utils::packageVersion(pkg, lib.loc = site_lib) < min_versions[[pkg]]) {
      stop("deps: could not install ", pkg, " >= ", min_versions[[pkg]])
    }
  }
}
for (pkg in staggered) {
  if (!pkg %in% rownames(installed.packages())) {
    message("deps: install.packages(", pkg, ")")
    options(Ncpus = 2L)
    install.packages(pkg, lib = site_lib, repos = repos, dependencies = NA, quiet = TRUE)
    if (!pkg %in% rownames(installed.packages())) stop("deps: could not install: ", pkg)
  }
}
