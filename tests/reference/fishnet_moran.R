# Reference for a square fishnet clipped to a rectangular boundary (issue "Trust" 8).
#
# Run from the repository root:   Rscript tests/reference/fishnet_moran.R
# Needs R with spdep (Debian package r-cran-spdep); no sf: the grid is built from integer
# cell indices, independently of taobao_geo.units.
# A 50 x 30 km rectangle with 2.5 km cells has exactly 20 x 12 = 240 cells. The points are
# seeded: 150 uniform plus 150 around (15 km, 10 km) (normal, sd 4 km, kept if inside).
# Writes, next to this script:
#   fishnet_moran_points.csv  x, y (metres; put them in any projected CRS)
#   fishnet_moran_cells.csv   row, col (0-based, row from the bottom), count
#   fishnet_moran.csv         n_cells, I, expectation, variance (randomisation and normality)
#                             for queen and rook contiguity, row-standardised (style "W")
#   fishnet_moran_versions.csv R and spdep versions
# The Python tests read only these files, so CI does not need R.
suppressMessages(library(spdep))
options(digits = 17)
here <- "tests/reference"

set.seed(20261201)
W <- 50000; H <- 30000; s <- 2500
u <- cbind(runif(150, 0, W), runif(150, 0, H))
cl <- cbind(rnorm(400, 15000, 4000), rnorm(400, 10000, 4000))
cl <- cl[cl[, 1] > 0 & cl[, 1] < W & cl[, 2] > 0 & cl[, 2] < H, ][1:150, ]
xy <- rbind(u, cl)
write.csv(data.frame(x = xy[, 1], y = xy[, 2]), file.path(here, "fishnet_moran_points.csv"),
          row.names = FALSE)

ncol <- W / s; nrow <- H / s
cells <- expand.grid(col = 0:(ncol - 1), row = 0:(nrow - 1))[, c("row", "col")]
pc <- floor(xy[, 1] / s); pr <- floor(xy[, 2] / s)
cells$count <- vapply(seq_len(nrow(cells)), function(i)
  sum(pr == cells$row[i] & pc == cells$col[i]), numeric(1))
write.csv(cells, file.path(here, "fishnet_moran_cells.csv"), row.names = FALSE)

# contiguity from cell centres: rook = centres 1 cell apart, queen = also diagonal
cen <- cbind((cells$col + 0.5) * s, (cells$row + 0.5) * s)
nbs <- list(rook = dnearneigh(cen, 0, 1.01 * s), queen = dnearneigh(cen, 0, 1.01 * sqrt(2) * s))
rows <- list()
for (w in names(nbs)) {
  lw <- nb2listw(nbs[[w]], style = "W")
  for (rz in c(TRUE, FALSE)) {
    h <- moran.test(cells$count, lw, randomisation = rz, alternative = "two.sided")
    rows[[length(rows) + 1]] <- data.frame(
      weights = w, assumption = if (rz) "randomisation" else "normality",
      n_cells = nrow(cells), I = unname(h$estimate[1]), expectation = unname(h$estimate[2]),
      variance = unname(h$estimate[3]), z = unname(h$statistic), p = h$p.value)
  }
}
write.csv(do.call(rbind, rows), file.path(here, "fishnet_moran.csv"), row.names = FALSE)
write.csv(data.frame(item = c("R", "spdep"),
                     version = c(R.version.string, as.character(packageVersion("spdep")))),
          file.path(here, "fishnet_moran_versions.csv"), row.names = FALSE)
