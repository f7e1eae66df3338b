# Entropy weight index: exportres (C) against a vectorised base-R implementation
# of the same formula (the paper's steps), one R process, same data.
# Run: R_LIBS=<lib> Rscript bench/measure.R
library(exportres)

base_entropy <- function(X) {
  mn <- apply(X, 2, min); mx <- apply(X, 2, max)
  Y <- sweep(sweep(X, 2, mn, "-"), 2, mx - mn, "/")
  S <- colSums(Y)
  YlY <- Y * log(Y)
  YlY[Y == 0] <- 0
  f <- -(colSums(YlY) / S - log(S)) / log(nrow(X))
  w <- (1 - f) / sum(1 - f)
  drop(Y %*% w)
}

time_it <- function(expr, reps = 5) {
  expr <- substitute(expr); env <- parent.frame()
  min(vapply(seq_len(reps), function(i) system.time(eval(expr, env))[["elapsed"]], 0))
}

set.seed(1)
for (n in c(1e4, 1e5, 1e6)) {
  df <- as.data.frame(matrix(rlnorm(n * 7), n, 7))
  X <- as.matrix(df)
  a <- entropy_index(df, names(df))
  b <- base_entropy(X)
  t_ours <- time_it(entropy_index(df, names(df)))
  t_ref <- time_it(base_entropy(X))
  cat(sprintf("bench entropy_index n=%d x 7 ours=%.4f ref=%.4f ratio=%.1f maxdiff=%.1e\n",
              as.integer(n), t_ours, t_ref, t_ref / t_ours, max(abs(a - b))))
}
n <- 1e5
df <- as.data.frame(matrix(rlnorm(n * 7), n, 7))
a <- pca_index(df, names(df))
t_ours <- time_it(pca_index(df, names(df)))
t_ref <- time_it({
  Z <- scale(as.matrix(df)); e <- eigen(crossprod(Z) / (n - 1), symmetric = TRUE)
})
cat(sprintf("bench pca_index n=%d x 7 ours=%.4f ref(scale+eigen only)=%.4f ratio=%.1f\n",
            as.integer(n), t_ours, t_ref, t_ref / t_ours))
