# Reference values for taobao_geo point-pattern statistics (windows, nni, ripley).
#
# Run from the repository root:   Rscript tests/reference/pointpattern.R
# Needs R with spatstat (Debian r-cran-spatstat*, spatstat 3.0-x). Writes, next to this script:
#   pp_<name>_points.csv   coordinates of each pattern (x, y)
#   pp_<name>_window.csv   its window as polygon rings (ring, hole, x, y; spatstat orientation)
#   pp_nni.csv             clarkevans() / clarkevans.test() values and CSR-null moments
#   pp_kest_<name>.csv     Kest() (border, isotropic, translate, none) on spatstat's default r grid
#                          plus, for polygonal windows, the exact translation estimate
#                          (edge.Trans(exact = TRUE); Kest itself uses a pixel approximation there)
#   pp_gest_<name>.csv     Gest() (raw, rs, km, han)
#   pp_fest_<name>.csv     Fest() (raw, rs, km) on the default 128 x 128 pixel grid
#   pp_versions.csv        R and package versions
# The Python tests read these files, so CI does not need R.
suppressMessages(library(spatstat))
here <- "tests/reference"
set.seed(20261129)

# Two patterns in non-rectangular windows: demopat (a polygon with a hole) and a pattern in a
# two-piece window (a MultiPolygon), so that polygon windows are tested, not only rectangles.
demo <- unmark(demopat)
W2 <- owin(poly = list(
  list(x = c(0, 4, 4, 2, 0), y = c(0, 0, 3, 4, 3)),
  list(x = c(6, 10, 8), y = c(0, 1, 5))
))
twopiece <- runifpoint(60, W2)

# add a tight cluster so the pattern is not CSR
cl <- runifdisc(25, radius = 0.4, centre = c(2, 1.5))
twopiece <- superimpose(twopiece, cl, W = W2)

patterns <- list(redwood = redwood, cells = cells, japanesepines = japanesepines,
                 demopat = demo, twopiece = twopiece)

write_window <- function(W, file) {
  W <- as.polygonal(W)
  rows <- list()
  for (k in seq_along(W$bdry)) {
    b <- W$bdry[[k]]
    a <- 0.5 * sum(b$x * c(b$y[-1], b$y[1]) - c(b$x[-1], b$x[1]) * b$y)
    rows[[k]] <- data.frame(ring = k, hole = as.integer(a < 0), x = b$x, y = b$y)
  }
  write.csv(do.call(rbind, rows), file, row.names = FALSE)
}

nni_rows <- list()
for (nm in names(patterns)) {
  X <- patterns[[nm]]
  W <- Window(X)
  write.csv(data.frame(x = X$x, y = X$y), file.path(here, sprintf("pp_%s_points.csv", nm)),
            row.names = FALSE)
  write_window(W, file.path(here, sprintf("pp_%s_window.csv", nm)))

  ce <- clarkevans(X, correction = c("none", "Donnelly", "cdf"))
  t2 <- clarkevans.test(X, alternative = "two.sided")
  tl <- clarkevans.test(X, alternative = "less")
  tg <- clarkevans.test(X, alternative = "greater")
  areaW <- area(W)
  n <- npoints(X)
  Dobs <- mean(nndist(X))
  Dpois <- 1 / (2 * sqrt(n / areaW))
  SE <- sqrt(((4 - pi) * areaW) / (4 * pi)) / n
  Z <- (Dobs - Dpois) / SE
  # CSR null distribution of the naive R in this window (moments only: RNG streams differ)
  sims <- replicate(999, clarkevans(runifpoint(n, win = W), correction = "none"))
  nni_rows[[nm]] <- data.frame(
    dataset = nm, window_type = W$type, n = n, area = areaW, perimeter = perimeter(W),
    Dobs = Dobs, Dpois = Dpois, SE = SE, Z = Z,
    R_naive = unname(ce["naive"]),
    R_donnelly = if ("Donnelly" %in% names(ce)) unname(ce["Donnelly"]) else NA,
    R_cdf = unname(ce["cdf"]),
    p_two_sided = t2$p.value, p_less = tl$p.value, p_greater = tg$p.value,
    sim_mean = mean(sims), sim_sd = sd(sims)
  )

  K <- as.data.frame(Kest(X, correction = c("border", "isotropic", "translate", "none")))
  if (W$type == "polygonal") {
    rr <- K$r
    br <- handle.r.b.args(rr, NULL, W)
    cp <- closepairs(X, max(rr), what = "all")
    wt <- edge.Trans(dx = cp$dx, dy = cp$dy, W = W, paired = TRUE, exact = TRUE)
    wh <- whist(cp$d, br$val, wt)
    K$trans_exact <- cumsum(wh) / (n * (n - 1) / areaW)
  }
  write.csv(K, file.path(here, sprintf("pp_kest_%s.csv", nm)), row.names = FALSE)
  G <- as.data.frame(Gest(X, correction = c("none", "rs", "km", "han")))
  write.csv(G, file.path(here, sprintf("pp_gest_%s.csv", nm)), row.names = FALSE)
  Fv <- as.data.frame(Fest(X, correction = c("none", "rs", "km")))
  write.csv(Fv, file.path(here, sprintf("pp_fest_%s.csv", nm)), row.names = FALSE)
}
write.csv(do.call(rbind, nni_rows), file.path(here, "pp_nni.csv"), row.names = FALSE)
write.csv(data.frame(
  what = c("R", "spatstat", "spatstat.geom", "spatstat.explore", "spatstat.random", "seed"),
  version = c(R.version.string, as.character(packageVersion("spatstat")),
              as.character(packageVersion("spatstat.geom")),
              as.character(packageVersion("spatstat.explore")),
              as.character(packageVersion("spatstat.random")), "20261129")),
  file.path(here, "pp_versions.csv"), row.names = FALSE)
cat("done\n")
