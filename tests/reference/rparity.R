# Reference values for the R-parity fixes of issue 10 point 8 (spatstat 3.0-x).
#
# Run from the repository root:   Rscript tests/reference/rparity.R
# Reads the patterns written by pointpattern.R (pp_<name>_points.csv / pp_<name>_window.csv)
# and writes, next to this script:
#   pp_fest_cs_<name>.csv   Fest(correction = "cs") (Chiu-Stoyan) on spatstat's default r grid
#                           (also for the ring pattern of fest_ring_points.csv)
#   kde_edge_points.csv     density.ppp(at = "points", leaveoneout = FALSE) with and without
#                           edge=TRUE for the demopat and twopiece polygons, on a 2048 x 2048
#                           pixel grid (edge factor = raw / corrected, pixel error ~1e-4)
#   bwdiggle_<case>_points.csv, bwdiggle.csv
#                           bw.diggle() for n = 600 / 1500 / 3500 (spatstat's "good" K
#                           correction: isotropic / translate / border) and the correction used
#   rparity_versions.csv    R and package versions
suppressMessages(library(spatstat))
here <- "tests/reference"
set.seed(20261201)

read_window <- function(nm) {
  w <- read.csv(file.path(here, sprintf("pp_%s_window.csv", nm)))
  owin(poly = lapply(split(w, w$ring), function(g) list(x = g$x, y = g$y)))
}
read_pattern <- function(nm) {
  p <- read.csv(file.path(here, sprintf("pp_%s_points.csv", nm)))
  ppp(p$x, p$y, window = read_window(nm))
}

for (nm in c("redwood", "cells", "japanesepines", "demopat", "twopiece")) {
  X <- read_pattern(nm)
  Fv <- as.data.frame(Fest(X, correction = "cs"))
  write.csv(Fv, file.path(here, sprintf("pp_fest_cs_%s.csv", nm)), row.names = FALSE)
}

# A fresh case where the Chiu-Stoyan histogram's last cell matters: points on a ring in the
# unit square (fest_ring_points.csv, written once by numpy default_rng(28); see the test).
p <- read.csv(file.path(here, "fest_ring_points.csv"))
X <- ppp(p$x, p$y, window = square(1))
write.csv(as.data.frame(Fest(X, correction = c("cs", "rs", "km"))),
          file.path(here, "pp_fest_cs_ring.csv"), row.names = FALSE)

rows <- list()
for (nm in c("demopat", "twopiece")) {
  X <- read_pattern(nm)
  W <- Window(X)
  sigma <- 0.08 * sqrt(area(W))
  raw <- density(X, sigma = sigma, at = "points", edge = FALSE, leaveoneout = FALSE,
                 dimyx = c(2048, 2048))
  unif <- density(X, sigma = sigma, at = "points", edge = TRUE, diggle = FALSE,
                  leaveoneout = FALSE, dimyx = c(2048, 2048))
  rows[[nm]] <- data.frame(dataset = nm, i = seq_len(npoints(X)), sigma = sigma,
                           raw = as.numeric(raw), uniform = as.numeric(unif),
                           edge = as.numeric(raw) / as.numeric(unif))
}
write.csv(do.call(rbind, rows), file.path(here, "kde_edge_points.csv"), row.names = FALSE)

W <- owin(c(0, 10000), c(0, 8000))
bw_rows <- list()
for (n in c(600, 1500, 3500)) {
  # clustered (Thomas) pattern of exactly n points
  X <- rThomas(kappa = n / 20 / area(W), scale = 250, mu = 20, win = W)
  X <- X[sample.int(npoints(X), min(n, npoints(X)))]
  nm <- sprintf("n%d", n)
  write.csv(data.frame(x = X$x, y = X$y), file.path(here, sprintf("bwdiggle_%s_points.csv", nm)),
            row.names = FALSE)
  b <- bw.diggle(X)
  bw_rows[[nm]] <- data.frame(case = nm, n = npoints(X), sigma = as.numeric(b),
                              correction = good.correction.K(X),
                              sigma_isotropic = as.numeric(bw.diggle(X, correction = "isotropic")))
}
write.csv(do.call(rbind, bw_rows), file.path(here, "bwdiggle.csv"), row.names = FALSE)
write.csv(data.frame(
  what = c("R", "spatstat", "spatstat.geom", "spatstat.explore", "seed"),
  version = c(R.version.string, as.character(packageVersion("spatstat")),
              as.character(packageVersion("spatstat.geom")),
              as.character(packageVersion("spatstat.explore")), "20261201")),
  file.path(here, "rparity_versions.csv"), row.names = FALSE)
cat("done\n")
