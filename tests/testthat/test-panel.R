test_that("exr_panel marks the panel and lags are found by value, not position", {
  df <- data.frame(id = c("a", "a", "a", "b", "b"), yr = c(2011, 2012, 2014, 2012, 2011),
                   x = c(1, 2, 4, 20, 10))
  p <- exr_panel(df, "id", "yr")
  expect_s3_class(p, "exr_panel")
  expect_identical(attr(p, "panel"), c("id", "yr"))
  env <- exportres:::formula_env(exportres:::panel_index(df$id, df$yr), globalenv(), nrow(df))
  expect_identical(env$l(df$x, 1), c(NA, 1, NA, 10, NA))
  expect_identical(env$f(df$x, 1), c(2, NA, NA, NA, 20))
  expect_identical(env$l(df$x, 2), c(NA, NA, 2, NA, NA))
  expect_identical(env$d(df$x), c(NA, 1, NA, 10, NA))
  expect_output(print(p), "2 units")
})

test_that("panel arguments are validated", {
  df <- data.frame(id = 1:3, t = c("a", "b", "c"), x = 1:3)
  expect_error(exr_panel(df, "id", "t"), class = "exportres_error")
  expect_error(exr_panel(df, "id", "nope"), class = "exportres_error")
  expect_error(exr_panel(df, c("id", "t"), "t"), class = "exportres_error")
  expect_error(fe_reg(x ~ l(x), df), class = "exportres_error")
  expect_error(fe_reg(x ~ id, df, panel = "id"), class = "exportres_error")
})

test_that("panel_index sorts rows by unit then time as order() does, and finds repeated pairs", {
  set.seed(11)
  # units with few rows (insertion sort) and many (merge sort), shuffled rows,
  # character ids, and rows missing an id or a time
  n_units <- 40L
  len <- sample(c(1:5, 17:40), n_units, replace = TRUE)
  id <- rep(sprintf("u%02d", seq_len(n_units)), len)
  tm <- unlist(lapply(len, function(l) sample(2000 + seq_len(l))))
  o <- sample(length(id))
  id <- id[o]
  tm <- tm[o]
  id[c(3, 50)] <- NA
  tm[c(7, 90)] <- NA
  pi <- exportres:::panel_index(id, tm)
  valid <- !is.na(id) & !is.na(tm)
  expect_identical(pi$valid, valid)
  idc <- rep(NA_integer_, length(id))
  idc[valid] <- exportres:::codes_of(id[valid])
  expect_identical(pi$id, idc)
  rows <- which(valid)
  expect_identical(pi$order, rows[order(idc[rows], tm[rows])])
  expect_identical(pi$start, as.integer(c(0L, cumsum(tabulate(idc[rows], max(idc[rows]))))))
  expect_identical(c(pi$tmin, pi$span), c(min(tm[rows]), diff(range(tm[rows])) + 1))
  # integer times (read without a copy): the same index, unsorted units included
  pint <- exportres:::panel_index(id, as.integer(tm))
  expect_true(is.integer(pint$time))
  for (nm in c("id", "valid", "order", "start", "n_groups", "tmin", "span")) {
    expect_identical(pint[[nm]], pi[[nm]])
  }
  # rows already in order, and no time: rows by unit in their original order
  srt <- pi$order
  p2 <- exportres:::panel_index(id[srt], tm[srt])
  expect_identical(p2$order, seq_along(srt))
  p3 <- exportres:::panel_index(id)
  r3 <- which(!is.na(id))
  expect_identical(p3$order, r3[order(exportres:::codes_of(id[r3]))])
  # a repeated (id, time) pair, in a long shuffled unit and in a short one
  for (u in c(which.max(len), which.min(len))) {
    uid <- sprintf("u%02d", u)
    r <- which(id == uid & !is.na(tm))
    id2 <- c(id, uid)
    tm2 <- c(tm, tm[r[length(r)]])
    expect_error(exportres:::panel_index(id2, tm2), "duplicate \\(id, time\\) pair", class = "exportres_error")
    expect_silent(exportres:::panel_index(id2, tm2, check = FALSE))
  }
  # integer ids 1..G in sorted rows (their own codes, their own order); an
  # adjacent repeated pair, and a unit out of time order, in otherwise sorted rows
  ids <- rep(1:30, each = 4)
  ts <- rep(c(1, 2, 5, 9), 30)
  ps <- exportres:::panel_index(ids, ts)
  expect_identical(ps$id, ids)
  expect_identical(ps$order, seq_along(ids))
  expect_identical(ps$start, as.integer(seq(0, 120, by = 4)))
  ts_dup <- ts
  ts_dup[6] <- ts_dup[5]
  expect_error(exportres:::panel_index(ids, ts_dup), "duplicate \\(id, time\\) pair: \\(2, 1\\)",
               class = "exportres_error")
  ts_swap <- ts
  ts_swap[9:10] <- ts[10:9]
  expect_identical(exportres:::panel_index(ids, ts_swap)$order, order(ids, ts_swap))
  expect_identical(exportres:::panel_index(ids, as.integer(ts_swap))$order, order(ids, ts_swap))
  # without the mask of valid rows (every row in a unit): the same index
  pm <- exportres:::panel_index(ids, ts_swap, mask = FALSE)
  expect_null(pm$valid)
  pv <- exportres:::panel_index(ids, ts_swap)
  for (nm in c("id", "order", "start", "n_groups", "tmin", "span")) expect_identical(pm[[nm]], pv[[nm]])
  expect_identical(exportres:::panel_index(c(ids, NA), c(ts, 3), mask = FALSE)$valid,
                   c(rep(TRUE, length(ids)), FALSE))
})
