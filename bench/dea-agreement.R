# Agreement of exportres::dea()/malmquist() with Benchmarking on its shipped
# data sets and on 500 random DMUs: prints max |difference| per case.
# Run: R_LIBS=<lib> Rscript bench/dea-agreement.R
suppressMessages({library(Benchmarking); library(exportres)})
data(charnes1981); data(milkProd); data(pigdata); data(norWood2004)
nw <- norWood2004[norWood2004$y > 0, ]
set.seed(500)
n <- 500
rx <- matrix(exp(rnorm(n * 4)), n, 4)
f <- exp(0.3 * rowSums(log(rx))) * exp(-abs(rnorm(n)) * 0.3)
ry <- cbind(f * runif(n, .5, 1.5), f * runif(n, .5, 1.5))
sets <- list(
  charnes1981 = list(x = charnes1981[c("x1", "x2", "x3", "x4", "x5")], y = charnes1981[c("y1", "y2", "y3")]),
  milkProd = list(x = milkProd[c("energy", "vet", "cows")], y = milkProd["milk"]),
  pigdata = list(x = pigdata[c("x1", "x2", "x3", "x4", "x5", "x6")], y = pigdata[c("y2", "y4")]),
  norWood2004 = list(x = nw[c("x", "m")], y = nw["y"]),
  random500 = list(x = rx, y = ry)
)
bm <- c(crs = "crs", vrs = "vrs", nirs = "drs", ndrs = "irs", fdh = "fdh")
fin <- function(v) ifelse(is.finite(v), v, NA)
maxdiff <- function(a, b) {
  a <- unname(a); b <- unname(b)
  if (!identical(is.na(a), is.na(b))) return(Inf)
  max(abs(a - b), na.rm = TRUE)
}
worst <- c(eff = 0, super = 0, slack_unique = 0)
for (s in names(sets)) {
  X <- as.matrix(sets[[s]]$x); Y <- as.matrix(sets[[s]]$y)
  for (rts in names(bm)) for (ori in c("in", "out")) {
    ours <- dea(X, Y, rts = rts, orientation = ori, slack = TRUE)
    ref <- Benchmarking::dea(X, Y, RTS = bm[[rts]], ORIENTATION = ori, SLACK = rts != "fdh")
    d_eff <- maxdiff(ours$eff, fin(ref$eff))
    # super-efficiency against sdea
    sup <- dea(X, Y, rts = rts, orientation = ori, super = TRUE)
    sref <- fin(Benchmarking::sdea(X, Y, RTS = bm[[rts]], ORIENTATION = ori)$eff)
    d_sup <- maxdiff(sup$eff, sref)
    # slacks: compare where the max-slack program's optimum is unique; we
    # take "unique" as: Benchmarking and we report the same peers
    d_sl <- NA; nsame <- NA
    if (rts != "fdh") {
      bl <- ref$lambda; bl[abs(bl) < 1e-7] <- 0
      same <- vapply(seq_len(nrow(X)), function(i)
        setequal(which(bl[i, ] > 0), ours$peers[[i]]), logical(1))
      dsl <- pmax(apply(abs(ours$slack_x - ref$sx), 1, max), apply(abs(ours$slack_y - ref$sy), 1, max))
      scale <- max(abs(c(X, Y)))
      d_sl <- max(dsl[same] / scale)
      nsame <- sum(same)
      allsl <- sum(dsl / scale < 1e-6)
    } else {
      fs <- Benchmarking::slack(X, Y, ref)
      dsl <- pmax(apply(abs(ours$slack_x - fs$sx), 1, max), apply(abs(ours$slack_y - fs$sy), 1, max))
      allsl <- sum(dsl / max(abs(c(X, Y))) < 1e-6)
    }
    worst <- pmax(worst, c(d_eff, d_sup, if (is.na(d_sl)) 0 else d_sl))
    cat(sprintf("%-12s %-5s %-3s eff=%.2e super=%.2e (NA %d/%d) slack(same peers %s/%d, rel)=%.2e slacks equal(1e-6 rel)=%s\n",
                s, rts, ori, d_eff, d_sup, sum(is.na(sup$eff)), sum(is.na(sref)), nsame, nrow(X), d_sl, allsl))
  }
}
# Malmquist on a random panel of 100 units x 4 periods
set.seed(2)
np <- 100; nt <- 4
px <- matrix(exp(rnorm(np * nt * 2)), ncol = 2)
tt <- rep(1:nt, each = np); ii <- rep(1:np, nt)
py <- exp(0.4 * rowSums(log(px)) + 0.05 * tt - abs(rnorm(np * nt)) * 0.3)
for (rts in c("crs", "vrs")) for (ori in c("in", "out")) {
  ours <- malmquist(px, py, ii, tt, rts = rts, orientation = ori)
  d <- 0
  for (p in 1:(nt - 1)) {
    r0 <- tt == p; r1 <- tt == p + 1
    ref <- Benchmarking::malmq(px[r0, , drop = FALSE], matrix(py[r0]), ii[r0],
                               px[r1, , drop = FALSE], matrix(py[r1]), ii[r1],
                               RTS = bm[[rts]], ORIENTATION = ori)
    o <- ours[ours$from == p, ]
    stopifnot(identical(o$id, ref$id))
    for (v in c("e00", "e01", "e10", "e11"))
      d <- max(d, maxdiff(o[[v]], fin(ref[[v]])))
    # Benchmarking turns an infeasible cross-period program (Inf) into tc = 0
    # or Inf; we give NA: compare the index where all four programs solved
    ok <- !is.na(o$e01) & !is.na(o$e10)
    for (v in c("m", "tc", "ec"))
      d <- max(d, maxdiff(o[[v]][ok], ref[[v]][ok]))
    nna <- sum(!ok)
  }
  cat(sprintf("malmquist    %-5s %-3s max|diff| over m, tc, ec, e00..e11 = %.2e (unit-periods with an infeasible cross-period program: %d)\n", rts, ori, d, nna))
  worst["eff"] <- max(worst["eff"], d)
}
# cores = 1 vs 2
a <- dea(rx, ry, rts = "vrs", slack = TRUE, cores = 1)
b <- dea(rx, ry, rts = "vrs", slack = TRUE, cores = 2)
cat("cores 1 vs 2 identical:", identical(a[c("eff", "lambda", "slack_x", "slack_y", "status")],
                                         b[c("eff", "lambda", "slack_x", "slack_y", "status")]), "\n")
cat(sprintf("WORST eff=%.2e super=%.2e slack(unique)=%.2e\n", worst[1], worst[2], worst[3]))
