# Reference values for the non-square pixel grids in tests/test_density.py (issue 10 §8: the
# KDE grid tiles the extent exactly). Run from the repository root:
#   Rscript tests/reference/kde_grid.R
# Writes tests/reference/kde_grid_points.csv and kde_grid_pixels.csv.
#
# spatstat's pixel mask with dimyx = c(ny, nx) tiles the window's bounding box exactly: pixel
# centres x = xmin + (j - 0.5) * (xmax - xmin) / nx, y likewise with its own step, so the
# pixels are not square when a requested step does not divide both sides. Each case gives the
# rectangle and the requested step; nx, ny = ceiling(side / step), as taobao_geo does.
# densityfun() is the exact kernel sum at those centres; density.ppp() (binned + FFT) is the
# pixel image, compared loosely; xcol / yrow are spatstat's own pixel centres.
suppressMessages(library(spatstat))
out <- "tests/reference"
cases <- list(
  list(name = "wide", xr = c(0, 1), yr = c(0, 0.7), step = 0.03, n = 80, sigma = 0.08),
  list(name = "offset", xr = c(2.3, 3.55), yr = c(-1.1, -0.2), step = 0.04, n = 60, sigma = 0.12)
)
set.seed(20261201)
pts <- list(); pix <- list()
for (cs in cases) {
  W <- owin(cs$xr, cs$yr)
  X <- runifpoint(cs$n, win = W)
  nx <- ceiling(diff(cs$xr) / cs$step - 1e-9)
  ny <- ceiling(diff(cs$yr) / cs$step - 1e-9)
  d0 <- density(X, sigma = cs$sigma, dimyx = c(ny, nx), edge = FALSE)
  d1 <- density(X, sigma = cs$sigma, dimyx = c(ny, nx), edge = TRUE)
  G <- expand.grid(x = d0$xcol, y = d0$yrow)  # x fastest, rows south -> north
  f0 <- densityfun(X, sigma = cs$sigma, edge = FALSE)
  f1 <- densityfun(X, sigma = cs$sigma, edge = TRUE)
  fq <- densityfun(X, sigma = cs$sigma, edge = FALSE, kernel = "quartic")
  pix[[cs$name]] <- data.frame(
    dataset = cs$name, sigma = cs$sigma, step = cs$step, xmin = cs$xr[1], xmax = cs$xr[2],
    ymin = cs$yr[1], ymax = cs$yr[2], nx = nx, ny = ny, xstep = d0$xstep, ystep = d0$ystep,
    x = G$x, y = G$y, gauss = f0(G$x, G$y), gauss_edge = f1(G$x, G$y), quartic = fq(G$x, G$y),
    pixel_gauss = as.vector(t(as.matrix(d0))), pixel_gauss_edge = as.vector(t(as.matrix(d1))))
  pts[[cs$name]] <- data.frame(dataset = cs$name, x = X$x, y = X$y)
}
write.csv(do.call(rbind, pix), file.path(out, "kde_grid_pixels.csv"), row.names = FALSE)
write.csv(do.call(rbind, pts), file.path(out, "kde_grid_points.csv"), row.names = FALSE)
writeLines(sprintf("R %s; spatstat %s; spatstat.explore %s; spatstat.geom %s",
                   paste(R.version$major, R.version$minor, sep = "."),
                   packageVersion("spatstat"), packageVersion("spatstat.explore"),
                   packageVersion("spatstat.geom")),
           file.path(out, "kde_grid_versions.txt"))
cat("done\n")
