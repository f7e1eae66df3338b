# Timing helpers shared by the benchmark scripts: `source(file.path(here, "timing.R"))`.

# The 1-, 5- and 15-minute load averages, printed in each script's header line.
loadavg <- function() {
  la <- tryCatch(readLines("/proc/loadavg", n = 1L), error = function(e) "?")
  paste(strsplit(la, " ")[[1L]][1:3], collapse = " ")
}

# Elapsed and CPU (user + system, this process) seconds of one call.
elapsed <- function(f) {
  gc(FALSE)
  t0 <- proc.time()
  f()
  t1 <- proc.time() - t0
  c(t1[["elapsed"]], t1[["user.self"]] + t1[["sys.self"]])
}

# Warm up each side once (keeping the fits, for the agreement check), then
# alternate ours/ref `reps` times; medians of elapsed and CPU seconds.
time_pair <- function(ours, ref, reps) {
  fit_o <- ours()
  fit_r <- ref()
  t_o <- t_r <- matrix(0, reps, 2L)
  for (r in seq_len(reps)) {
    t_o[r, ] <- elapsed(ours)
    t_r[r, ] <- elapsed(ref)
  }
  list(ours = median(t_o[, 1L]), ref = median(t_r[, 1L]), cpu_o = median(t_o[, 2L]),
       cpu_r = median(t_r[, 2L]), fit_o = fit_o, fit_r = fit_r, runs_o = t_o[, 1L],
       runs_r = t_r[, 1L])
}
