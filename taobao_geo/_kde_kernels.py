"""Planar kernels for :mod:`taobao_geo.density`, normalised to integrate to 1 over the plane.

Each kernel is ``K_h(d) = c / h**2 * f(d / h)`` with ``d`` the distance in metres and ``h`` the
bandwidth in metres. For the compact kernels ``h`` is the support radius (ArcGIS "search
radius", QGIS "radius"); for the Gaussian ``h`` is the standard deviation sigma (spatstat
``sigma``). spatstat's ``scalekernel=TRUE`` convention instead gives every kernel by its
per-coordinate standard deviation; ``sd`` below converts (e.g. quartic: sigma = h / sqrt(8)).

Constants (u = d/h, integrals over the unit disc in polar form, 2*pi*u du):

========== ============= ============ ============= ===================
kernel     f(u)          c            per-axis sd   Silverman A(K), 2-D
========== ============= ============ ============= ===================
quartic    (1-u^2)^2     3/pi         1/sqrt(8)     2.78 (biweight)
epanech.   1-u^2         2/pi         1/sqrt(6)     2.40
triangular 1-u           3/pi         sqrt(0.15)    (same formula)
uniform    1             1/pi         1/2           (same formula)
gaussian   exp(-u^2/2)   1/(2 pi)     1             1
========== ============= ============ ============= ===================

ArcGIS's quartic density ``(3/pi) * pop * (1-(d/r)^2)^2 / r^2`` (Silverman 1986, eq. 4.5) is the
quartic row; QGIS's "raw" heatmap value is ``f(u)`` alone, i.e. ``K_h(d) * h**2 / c``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["KERNELS", "Kernel", "get_kernel"]

# Truncation radius of the Gaussian, in sigmas: exp(-81/2) ~ 2.6e-18 of the peak, far below
# float64 resolution of a density sum (spatstat cuts at 8 sigma).
GAUSS_CUTOFF_SIGMAS = 9.0


@dataclass(frozen=True)
class Kernel:
    name: str
    const: float  # c in K_h(d) = c/h^2 f(d/h)
    sd: float  # per-coordinate standard deviation of the unit-h kernel
    compact: bool
    r_moment: float  # integral of K_1^2 over the plane, R(K)
    # default cell = sd * h / fine keeps linear binning + FFT within 1e-3 of the maximum; kernels
    # with a kink (Epanechnikov and triangular at the rim, triangular at the centre) need finer
    # cells than the smooth quartic and Gaussian (measured in benchmarks/bench_density.py)
    fine: float = 10.0

    def profile(self, u: np.ndarray) -> np.ndarray:
        """f(u) for u = d/h >= 0 (zero outside the support)."""
        u = np.asarray(u, dtype=float)
        if self.name == "gaussian":
            return np.exp(-0.5 * u * u)
        inside = u < 1.0
        if self.name == "quartic":
            v = 1.0 - u * u
            return np.where(inside, v * v, 0.0)
        if self.name == "epanechnikov":
            return np.where(inside, 1.0 - u * u, 0.0)
        if self.name == "triangular":
            return np.where(inside, 1.0 - u, 0.0)
        return np.where(inside, 1.0, 0.0)  # uniform (disc)

    def profile_sq(self, d2: np.ndarray, h: float) -> np.ndarray:
        """f(d/h) from squared distances (avoids a square root for all but the triangular)."""
        q = np.asarray(d2, dtype=float) / (h * h)
        if self.name == "gaussian":
            return np.exp(-0.5 * q)
        inside = q < 1.0
        if self.name == "quartic":
            v = 1.0 - q
            return np.where(inside, v * v, 0.0)
        if self.name == "epanechnikov":
            return np.where(inside, 1.0 - q, 0.0)
        if self.name == "triangular":
            return np.where(inside, 1.0 - np.sqrt(q), 0.0)
        return np.where(inside, 1.0, 0.0)

    def density(self, d2: np.ndarray, h: float) -> np.ndarray:
        """K_h at squared distances ``d2`` (m^2), in 1/m^2."""
        return (self.const / (h * h)) * self.profile_sq(d2, h)

    def support(self, h: float) -> float:
        """Radius beyond which the kernel is zero (Gaussian: the 9-sigma truncation)."""
        return h if self.compact else GAUSS_CUTOFF_SIGMAS * h

    @property
    def silverman_a(self) -> float:
        """Silverman's (1986, Table 4.1) A(K) for d = 2: h_opt = A(K) * sigma * n^(-1/6).

        The AMISE-optimal bandwidth under a bivariate normal reference scales as
        ``(R(K) / mu2(K)^2)^(1/6)``; relative to the Gaussian (R = 1/(4 pi), mu2 = 1) that is
        ``(4 pi R(K) / sd^4)^(1/6)``, which gives 2.40 (Epanechnikov) and 2.78 (biweight).
        """
        return (4.0 * math.pi * self.r_moment / self.sd**4) ** (1.0 / 6.0)


# R(K) = integral of K_1^2 = c^2 * 2*pi * integral_0^1 u f(u)^2 du
KERNELS: dict[str, Kernel] = {
    "quartic": Kernel("quartic", 3.0 / math.pi, math.sqrt(1.0 / 8.0), True, 1.8 / math.pi),
    "epanechnikov": Kernel(
        "epanechnikov",
        2.0 / math.pi,
        math.sqrt(1.0 / 6.0),
        True,
        (4.0 / math.pi**2) * 2 * math.pi / 6.0,
        16.0,
    ),
    "triangular": Kernel(
        "triangular",
        3.0 / math.pi,
        math.sqrt(0.15),
        True,
        (9.0 / math.pi**2) * 2 * math.pi / 12.0,
        16.0,
    ),
    "uniform": Kernel("uniform", 1.0 / math.pi, 0.5, True, 1.0 / math.pi, 16.0),
    "gaussian": Kernel("gaussian", 1.0 / (2.0 * math.pi), 1.0, False, 1.0 / (4.0 * math.pi)),
}


def get_kernel(name: str) -> Kernel:
    return KERNELS[name]
