# Reference values for taobao_geo's spatial autocorrelation (units/weights/autocorrelation/local).
#
# Run from the repository root:   Rscript tests/reference/autocorr.R
# Needs R with spdep (1.2-7 used), spData and sf (Debian packages r-cran-spdep, r-cran-sf).
# Writes, next to this script:
#   autocorr_units.csv       one row per unit: dataset, id, value(s), centroid x/y
#   autocorr_neighbours.csv  dataset, weights, focal, neighbor (1-based ids as in R)
#   autocorr_global.csv      moran.test / geary.test / globalG.test results
#   autocorr_local.csv       localmoran (conditional and total randomisation) and localG (Gi*)
#   autocorr_incremental.csv Moran's I over distance bands (incremental spatial autocorrelation)
#   autocorr_versions.csv    R and package versions
#   columbus.geojson         Columbus polygons (for rebuilding queen/rook contiguity in Python)
# The Python tests read only these files, so CI does not need R.
suppressMessages({
  library(sf)
  library(spdep)
})
options(digits = 17)
here <- "tests/reference"

units <- list(); nbrows <- list(); glob <- list(); loc <- list(); incr <- list()

nb_rows <- function(nb, dataset, name) {
  focal <- rep(seq_along(nb), card(nb))
  neigh <- unlist(lapply(nb, function(v) v[v > 0]))
  data.frame(dataset = dataset, weights = name, focal = focal, neighbor = neigh)
}

htest_row <- function(h, dataset, weights, style, test, variable, alternative) {
  data.frame(dataset = dataset, weights = weights, style = style, test = test,
             variable = variable, alternative = alternative,
             statistic = unname(h$estimate[1]), expectation = unname(h$estimate[2]),
             variance = unname(h$estimate[3]), z = unname(h$statistic),
             p = unname(h$p.value))
}

run_globals <- function(x, nb, dataset, weights, variable, positive) {
  out <- list()
  for (style in c("W", "B")) {
    lw <- nb2listw(nb, style = style)
    for (alt in c("greater", "two.sided", "less")) {
      out[[length(out) + 1]] <- htest_row(moran.test(x, lw, randomisation = TRUE, alternative = alt),
                                          dataset, weights, style, "moran_rand", variable, alt)
      out[[length(out) + 1]] <- htest_row(moran.test(x, lw, randomisation = FALSE, alternative = alt),
                                          dataset, weights, style, "moran_norm", variable, alt)
      out[[length(out) + 1]] <- htest_row(geary.test(x, lw, randomisation = TRUE, alternative = alt),
                                          dataset, weights, style, "geary_rand", variable, alt)
      out[[length(out) + 1]] <- htest_row(geary.test(x, lw, randomisation = FALSE, alternative = alt),
                                          dataset, weights, style, "geary_norm", variable, alt)
      if (positive && style == "B") {
        out[[length(out) + 1]] <- htest_row(globalG.test(x, lw, alternative = alt),
                                            dataset, weights, style, "general_g", variable, alt)
      }
    }
  }
  do.call(rbind, out)
}

run_locals <- function(x, nb, dataset, weights, variable) {
  lw <- nb2listw(nb, style = "W")
  lc <- localmoran(x, lw, conditional = TRUE, alternative = "two.sided")
  lt <- localmoran(x, lw, conditional = FALSE, alternative = "two.sided")
  gB <- localG(x, nb2listw(include.self(nb), style = "B"))
  gW <- localG(x, nb2listw(include.self(nb), style = "W"))
  g0 <- localG(x, nb2listw(nb, style = "B"))
  data.frame(dataset = dataset, weights = weights, variable = variable, id = seq_along(x),
             Ii = lc[, 1], E_Ii_cond = lc[, 2], Var_Ii_cond = lc[, 3], Z_Ii_cond = lc[, 4],
             P_Ii_cond = lc[, 5], E_Ii_total = lt[, 2], Var_Ii_total = lt[, 3],
             Z_Ii_total = lt[, 4], P_Ii_total = lt[, 5],
             quadrant = as.character(attr(lc, "quadr")$pysal),
             Gstar_z_B = as.numeric(gB), Gstar_z_W = as.numeric(gW), G_z_B = as.numeric(g0))
}

## ---- Columbus (spData): 49 neighbourhoods, CRIME, INC, HOVAL; X/Y centroid columns ----------
col <- st_read(system.file("shapes/columbus.shp", package = "spData"), quiet = TRUE)
st_write(col[, c("POLYID", "CRIME", "INC", "HOVAL", "X", "Y")],
         file.path(here, "columbus.geojson"), delete_dsn = TRUE, quiet = TRUE)
units[[1]] <- data.frame(dataset = "columbus", id = seq_len(nrow(col)), CRIME = col$CRIME,
                         INC = col$INC, HOVAL = col$HOVAL, x = col$X, y = col$Y)
col_xy <- cbind(col$X, col$Y)
col_nb <- list(
  queen = poly2nb(col, queen = TRUE),
  rook = poly2nb(col, queen = FALSE),
  knn4 = knn2nb(knearneigh(col_xy, k = 4)),
  # smallest band in which every unit has a neighbour (ArcGIS default distance)
  dband = dnearneigh(col_xy, 0, max(unlist(nbdists(knn2nb(knearneigh(col_xy, k = 1)), col_xy))))
)
for (nm in names(col_nb)) {
  nbrows[[length(nbrows) + 1]] <- nb_rows(col_nb[[nm]], "columbus", nm)
  for (v in c("CRIME", "INC", "HOVAL")) {
    glob[[length(glob) + 1]] <- run_globals(col[[v]], col_nb[[nm]], "columbus", nm, v, TRUE)
  }
  loc[[length(loc) + 1]] <- run_locals(col$CRIME, col_nb[[nm]], "columbus", nm, "CRIME")
}

## ---- North Carolina SIDS (sf's nc.shp), projected to NC State Plane (EPSG:32119, metres) -------
nc <- st_read(system.file("shape/nc.shp", package = "sf"), quiet = TRUE)
nc_m <- st_transform(nc, 32119)
xy <- st_coordinates(st_centroid(st_geometry(nc_m)))
sids_rate <- 1000 * nc$SID74 / nc$BIR74
units[[2]] <- data.frame(dataset = "nc", id = seq_len(nrow(nc)), CRIME = NA, INC = NA, HOVAL = NA,
                         x = xy[, 1], y = xy[, 2])
units[[2]]$SID74 <- nc$SID74
units[[2]]$SIDR74 <- sids_rate
units[[1]]$SID74 <- NA
units[[1]]$SIDR74 <- NA
nn1 <- max(unlist(nbdists(knn2nb(knearneigh(xy, k = 1)), xy)))
nc_nb <- list(
  queen = poly2nb(nc_m, queen = TRUE),
  knn6 = knn2nb(knearneigh(xy, k = 6)),
  dband = dnearneigh(xy, 0, nn1)
)
for (nm in names(nc_nb)) {
  nbrows[[length(nbrows) + 1]] <- nb_rows(nc_nb[[nm]], "nc", nm)
  for (v in c("SID74", "SIDR74")) {
    glob[[length(glob) + 1]] <- run_globals(units[[2]][[v]], nc_nb[[nm]], "nc", nm, v, TRUE)
  }
  loc[[length(loc) + 1]] <- run_locals(units[[2]]$SID74, nc_nb[[nm]], "nc", nm, "SID74")
}

## ---- Incremental spatial autocorrelation on NC: 10 bands from the all-have-a-neighbour
## distance, in steps of the mean nearest-neighbour distance (ArcGIS defaults), style W,
## Moran's I under randomisation.
nnd <- unlist(nbdists(knn2nb(knearneigh(xy, k = 1)), xy))
start <- max(nnd); step <- mean(nnd)
for (b in 0:9) {
  d <- start + b * step
  nb <- dnearneigh(xy, 0, d)
  for (v in c("SID74", "SIDR74")) {
    h <- moran.test(units[[2]][[v]], nb2listw(nb, style = "W"), randomisation = TRUE,
                    alternative = "two.sided")
    incr[[length(incr) + 1]] <- data.frame(dataset = "nc", variable = v, band = b + 1,
                                           distance = d, I = unname(h$estimate[1]),
                                           expectation = unname(h$estimate[2]),
                                           variance = unname(h$estimate[3]),
                                           z = unname(h$statistic), p = h$p.value)
  }
}

write.csv(do.call(rbind, units), file.path(here, "autocorr_units.csv"), row.names = FALSE)
write.csv(do.call(rbind, nbrows), file.path(here, "autocorr_neighbours.csv"), row.names = FALSE)
write.csv(do.call(rbind, glob), file.path(here, "autocorr_global.csv"), row.names = FALSE)
write.csv(do.call(rbind, loc), file.path(here, "autocorr_local.csv"), row.names = FALSE)
write.csv(do.call(rbind, incr), file.path(here, "autocorr_incremental.csv"), row.names = FALSE)
write.csv(data.frame(item = c("R", "spdep", "sf", "spData", "GEOS", "PROJ"),
                     version = c(R.version.string, as.character(packageVersion("spdep")),
                                 as.character(packageVersion("sf")),
                                 as.character(packageVersion("spData")),
                                 sf_extSoftVersion()[["GEOS"]], sf_extSoftVersion()[["PROJ"]])),
          file.path(here, "autocorr_versions.csv"), row.names = FALSE)
cat("wrote reference files to", here, "\n")
