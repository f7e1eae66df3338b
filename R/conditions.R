# The package's one way to signal a problem. Every error names the argument that
# caused it (`arg`), so a user reading a knitted report knows what to fix, and has
# class `exportres_error` so tests and callers can catch it without matching text.

exr_error <- function(arg, ..., call = sys.call(-1L)) {
  stop(exr_condition("error", arg, paste0(...), call))
}

exr_warning <- function(arg, ..., call = sys.call(-1L)) {
  warning(exr_condition("warning", arg, paste0(...), call))
}

exr_condition <- function(kind, arg, msg, call) {
  if (!is.null(arg)) msg <- paste0("`", arg, "`: ", msg)
  structure(class = c(paste0("exportres_", kind), kind, "condition"),
            list(message = msg, call = call, arg = arg))
}

# Small validators shared by every exported function.

check_data_frame <- function(data, arg = "data") {
  if (!is.data.frame(data)) {
    exr_error(arg, "expected a data.frame, got ", class(data)[1L], ".")
  }
  if (nrow(data) == 0L) exr_error(arg, "has zero rows.")
  invisible(data)
}

check_columns <- function(data, cols, arg) {
  if (!is.character(cols)) {
    exr_error(arg, "expected column names as a character vector.")
  }
  miss <- setdiff(cols, names(data))
  if (length(miss)) {
    exr_error(arg, "unknown column(s) ", paste0("'", miss, "'", collapse = ", "),
              " (not in the data).")
  }
  check_unique_columns(data, cols, arg)
  invisible(cols)
}

# A column name used by the model must name one column: with duplicated names
# `data[[name]]` silently takes the first, which may not be the one meant.
check_unique_columns <- function(data, cols, arg = "data") {
  nms <- names(data)
  dup <- unique(nms[duplicated(nms)])
  amb <- intersect(cols, dup)
  if (length(amb)) {
    exr_error(arg, "column name(s) ", paste0("'", amb, "'", collapse = ", "),
              " occur more than once in the data; rename the duplicates.")
  }
  invisible(cols)
}

check_numeric_column <- function(x, name, arg = name) {
  if (!is.numeric(x) && !is.logical(x)) {
    exr_error(arg, "column '", name, "' must be numeric, not ", class(x)[1L], ".")
  }
  if (length(x) && all(is.na(x))) {
    exr_error(arg, "column '", name, "' is entirely NA.")
  }
  if (is.double(x) && .Call(C_finite_scan, x)[1L] > 0) {
    exr_error(arg, "column '", name, "' has non-finite values (Inf or NaN).")
  }
  invisible(x)
}

match_choice <- function(x, choices, arg) {
  if (is.null(x)) return(choices[1L])
  if (!is.character(x) || length(x) < 1L) {
    exr_error(arg, "expected one of ", paste0("\"", choices, "\"", collapse = ", "), ".")
  }
  if (identical(x, choices)) return(choices[1L])
  if (length(x) != 1L || !(x %in% choices)) {
    exr_error(arg, "expected one of ", paste0("\"", choices, "\"", collapse = ", "),
              ", got \"", paste(x, collapse = " "), "\".")
  }
  x
}

check_cores <- function(cores, arg = "cores") {
  if (!is.numeric(cores) || length(cores) != 1L || !is.finite(cores) || cores < 1 ||
      cores != round(cores) || cores > .Machine$integer.max) {
    exr_error(arg, "expected a single positive whole number.")
  }
  as.integer(cores)
}

check_flag <- function(x, arg) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) exr_error(arg, "expected TRUE or FALSE.")
  x
}

# A confidence level, strictly between 0 and 1.
check_level <- function(level, arg = "level") {
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || level <= 0 || level >= 1) {
    exr_error(arg, "expected one number between 0 and 1.")
  }
  level
}

# A progress bar only where somebody is watching.
show_progress <- function() {
  interactive() && isTRUE(getOption("exportres.progress", TRUE))
}

# The R end of exr_raise() in src/checks.c: C code signals the same classed
# error as R code, naming the argument.
exr_error_from_c <- function(arg, msg) {
  stop(exr_condition("error", arg, msg, call = NULL))
}
