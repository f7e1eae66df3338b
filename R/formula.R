# fixest-style formulas: `y ~ x1 + x2 | fe1 + fe2 | endo ~ inst`.
# R parses `~` left-associatively, so an IV formula arrives as
# `(y ~ x | fe | endo) ~ inst`; the parser takes it apart into its pieces.

#' Parse a fixest-style formula into its parts
#'
#' @param formula a two-sided formula `y ~ x | fe | endo ~ inst`; the fixed
#'   effects and IV parts are optional, and `0` in the fixed-effects slot means none.
#' @param arg name of the argument, for error messages.
#' @return list with `lhs` (expression), `rhs` (one-sided formula of the
#'   exogenous regressors), `fe` (character, possibly empty), `endo` and
#'   `inst` (one-sided formulas or `NULL`), `intercept` (logical).
#' @keywords internal
#' @noRd
parse_fixest_formula <- function(formula, arg = "formula") {
  if (!inherits(formula, "formula") || length(formula) != 3L) {
    exr_error(arg, "expected a two-sided formula such as `y ~ x | city + year`.")
  }
  env <- environment(formula)
  inst <- NULL
  main <- formula
  if (is_tilde(formula[[2L]])) {
    # (y ~ x | fe | endo) ~ inst
    inst <- formula[[3L]]
    main <- formula[[2L]]
    if (length(main) != 3L) exr_error(arg, "the IV part must read `endo ~ instruments`.")
  }
  lhs <- main[[2L]]
  parts <- split_bars(main[[3L]])
  if (any(vapply(c(list(lhs), parts, if (!is.null(inst)) list(inst)), is_empty_part, logical(1)))) {
    exr_error(arg, "has an empty part (as in `y ~ | fe` or `y ~ x |`); write `1` for no ",
              "regressors and leave out `|` for no fixed effects.")
  }
  if (any(vapply(c(list(lhs, parts[[1L]]), if (!is.null(inst)) list(parts[[length(parts)]], inst)),
                 has_inner_bar, logical(1)))) {
    exr_error(arg, "`|` separates the parts of a formula (`y ~ x | fe | endo ~ inst`) and ",
              "cannot appear inside a term; write `I(a | b)` for a logical or.")
  }
  endo <- NULL
  if (!is.null(inst)) {
    if (length(parts) < 2L) {
      exr_error(arg, "an IV formula reads `y ~ exog | fe | endo ~ inst` (use 0 for no fixed effects).")
    }
    endo <- parts[[length(parts)]]
    parts <- parts[-length(parts)]
  }
  if (length(parts) > 2L) {
    exr_error(arg, "too many `|` parts; expected `y ~ x | fe` or `y ~ x | fe | endo ~ inst`.")
  }
  fe <- character(0)
  if (length(parts) == 2L) fe <- fe_terms(parts[[2L]], arg)

  rhs <- stats::as.formula(call("~", parts[[1L]]), env = env)
  tt <- stats::terms(rhs)
  list(
    lhs = lhs,
    rhs = rhs,
    fe = fe,
    endo = if (is.null(endo)) NULL else stats::as.formula(call("~", endo), env = env),
    inst = if (is.null(inst)) NULL else stats::as.formula(call("~", inst), env = env),
    intercept = attr(tt, "intercept") == 1L && length(fe) == 0L,
    env = env
  )
}

is_tilde <- function(x) is.call(x) && identical(x[[1L]], as.name("~"))

is_empty_part <- function(x) is.symbol(x) && !nzchar(as.character(x))

# A `|` call anywhere in an expression except inside I(): within a term, R
# would evaluate it as a logical or, which a fixest-style formula never means.
has_inner_bar <- function(x) {
  if (!is.call(x)) return(FALSE)
  if (identical(x[[1L]], as.name("I"))) return(FALSE)
  if (identical(x[[1L]], as.name("|"))) return(TRUE)
  any(vapply(as.list(x)[-1L], has_inner_bar, logical(1)))
}

split_bars <- function(x) {
  if (is.call(x) && identical(x[[1L]], as.name("|"))) {
    c(split_bars(x[[2L]]), list(x[[3L]]))
  } else {
    list(x)
  }
}

# Fixed-effect terms: names joined by `+`; `a^b` is the interaction of a and b.
fe_terms <- function(x, arg) {
  if (is.numeric(x) && length(x) == 1L && x == 0) return(character(0))
  labs <- vapply(split_plus(x), function(e) gsub(" ", "", deparse1(e)), "")
  bad <- !grepl("^[A-Za-z._][A-Za-z0-9._]*(\\^[A-Za-z._][A-Za-z0-9._]*)*$", labs)
  if (any(bad)) {
    exr_error(arg, "fixed effects must be column names (or `a^b` interactions), got ",
              paste0("'", labs[bad], "'", collapse = ", "), ".")
  }
  labs
}

split_plus <- function(x) {
  if (is.call(x) && identical(x[[1L]], as.name("+")) && length(x) == 3L) {
    c(split_plus(x[[2L]]), list(x[[3L]]))
  } else {
    list(x)
  }
}

# Column names named by a one-sided formula or a character vector (cluster = ~city + year).
vars_of <- function(x, arg) {
  if (is.null(x)) return(NULL)
  if (inherits(x, "formula")) {
    if (length(x) != 2L) exr_error(arg, "expected a one-sided formula such as `~city`.")
    return(all.vars(x))
  }
  if (is.character(x) && length(x) >= 1L && !anyNA(x)) return(x)
  exr_error(arg, "expected a one-sided formula (`~city`) or column names.")
}
