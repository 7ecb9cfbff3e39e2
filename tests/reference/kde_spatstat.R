# Reference values for tests/test_density.py, computed with R spatstat.
# Run from the repository root:  Rscript tests/reference/kde_spatstat.R
# Writes tests/reference/kde_spatstat_*.csv (tests read these; CI does not need R).
#
# Grid convention (spatstat): a dimyx = c(ny, nx) mask on a rectangle has pixel CENTRES at
#   x = xmin + (j - 0.5) * (xmax - xmin) / nx,  j = 1..nx   (same for y).
# densityfun() evaluates the kernel sum exactly (no pixel binning) at any location, so it is
# the exact reference; density.ppp() at pixels bins the points to pixels and uses an FFT, so it
# is compared with a looser tolerance. leaveoneout only matters for at = "points".
suppressMessages(library(spatstat))
out <- "tests/reference"
versions <- sprintf("R %s; spatstat %s; spatstat.explore %s; spatstat.geom %s",
                    paste(R.version$major, R.version$minor, sep = "."),
                    packageVersion("spatstat"), packageVersion("spatstat.explore"),
                    packageVersion("spatstat.geom"))
writeLines(versions, file.path(out, "kde_spatstat_versions.txt"))

cases <- list(
  list(name = "redwood", X = redwood, sigma = 0.1, n = 32),
  list(name = "japanesepines", X = japanesepines, sigma = 0.08, n = 32)
)
grids <- list(); pts <- list(); pix <- list()
for (cs in cases) {
  X <- cs$X; W <- Window(X); n <- cs$n
  xr <- W$xrange; yr <- W$yrange
  xc <- xr[1] + (seq_len(n) - 0.5) * diff(xr) / n
  yc <- yr[1] + (seq_len(n) - 0.5) * diff(yr) / n
  G <- expand.grid(x = xc, y = yc)
  wts <- 1 + (seq_len(npoints(X)) %% 3)
  f0 <- densityfun(X, sigma = cs$sigma, edge = FALSE)
  f1 <- densityfun(X, sigma = cs$sigma, edge = TRUE)
  fd <- densityfun(X, sigma = cs$sigma, edge = TRUE, diggle = TRUE)
  fw <- densityfun(X, sigma = cs$sigma, edge = FALSE, weights = wts)
  fq <- densityfun(X, sigma = cs$sigma, edge = FALSE, kernel = "quartic")
  fe <- densityfun(X, sigma = cs$sigma, edge = FALSE, kernel = "epanechnikov")
  grids[[cs$name]] <- data.frame(dataset = cs$name, sigma = cs$sigma, x = G$x, y = G$y,
                                 gauss = f0(G$x, G$y), gauss_edge = f1(G$x, G$y),
                                 gauss_diggle = fd(G$x, G$y),
                                 gauss_weighted = fw(G$x, G$y),
                                 quartic = fq(G$x, G$y), epanechnikov = fe(G$x, G$y))
  # pixel images from density.ppp (binned + FFT), same pixel centres
  d0 <- density(X, sigma = cs$sigma, dimyx = c(n, n), edge = FALSE)
  d1 <- density(X, sigma = cs$sigma, dimyx = c(n, n), edge = TRUE)
  stopifnot(max(abs(d0$xcol - xc)) < 1e-12, max(abs(d0$yrow - yc)) < 1e-12)
  # as.vector(t(m)) runs along x fastest, matching expand.grid(x, y)
  pix[[cs$name]] <- data.frame(dataset = cs$name, sigma = cs$sigma, x = G$x, y = G$y,
                               gauss = as.vector(t(as.matrix(d0))),
                               gauss_edge = as.vector(t(as.matrix(d1))))
  pts[[cs$name]] <- data.frame(
    dataset = cs$name, sigma = cs$sigma, x = X$x, y = X$y, weight = wts,
    gauss = as.numeric(density(X, sigma = cs$sigma, at = "points", leaveoneout = FALSE, edge = FALSE)),
    gauss_loo = as.numeric(density(X, sigma = cs$sigma, at = "points", leaveoneout = TRUE, edge = FALSE)),
    gauss_edge = as.numeric(density(X, sigma = cs$sigma, at = "points", leaveoneout = FALSE, edge = TRUE)),
    gauss_loo_edge = as.numeric(density(X, sigma = cs$sigma, at = "points", leaveoneout = TRUE, edge = TRUE)),
    gauss_diggle = as.numeric(density(X, sigma = cs$sigma, at = "points", leaveoneout = FALSE, edge = TRUE, diggle = TRUE)),
    gauss_loo_diggle = as.numeric(density(X, sigma = cs$sigma, at = "points", leaveoneout = TRUE, edge = TRUE, diggle = TRUE))
  )
}
write.csv(do.call(rbind, grids), file.path(out, "kde_spatstat_grid.csv"), row.names = FALSE)
write.csv(do.call(rbind, pix), file.path(out, "kde_spatstat_pixels.csv"), row.names = FALSE)
write.csv(do.call(rbind, pts), file.path(out, "kde_spatstat_points.csv"), row.names = FALSE)

# bandwidth selectors (bw.ppl default: 16 geometric candidates from min NN distance to half the
# window diameter, Gaussian kernel with edge correction; bw.scott.iso: geometric mean of the
# coordinate SDs times n^(-1/6))
bw <- list()
for (nm in c("redwood", "japanesepines", "cells", "amacrine")) {
  X <- unmark(get(nm)); Xw <- Window(X)
  p <- suppressWarnings(bw.ppl(X))
  cand <- attr(p, "h"); cv <- attr(p, "cv")
  bw[[nm]] <- data.frame(dataset = nm, xmin = Xw$xrange[1], xmax = Xw$xrange[2],
                         ymin = Xw$yrange[1], ymax = Xw$yrange[2],
                         ppl = as.numeric(p), scott_iso = as.numeric(bw.scott.iso(X)),
                         diggle = as.numeric(bw.diggle(X)),
                         candidates = paste(format(cand, digits = 17), collapse = ";"),
                         cv = paste(format(cv, digits = 17), collapse = ";"))
}
write.csv(do.call(rbind, bw), file.path(out, "kde_spatstat_bw.csv"), row.names = FALSE)
# the point coordinates of the selector datasets
xy <- list()
for (nm in c("cells", "amacrine")) {
  X <- unmark(get(nm)); xy[[nm]] <- data.frame(dataset = nm, x = X$x, y = X$y)
}
write.csv(do.call(rbind, xy), file.path(out, "kde_spatstat_extra_points.csv"), row.names = FALSE)
cat("done\n")
