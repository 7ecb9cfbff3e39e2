"""Private statistical engines shared by the public statistics modules (one concept, one place).

* :mod:`~taobao_geo._stats.pvalues`: every p-value, the tie tolerance, the significance rule
  (:func:`~taobao_geo._stats.pvalues.is_significant`) and multiple-testing adjustment.
* :mod:`~taobao_geo._stats.permutation`: conditional permutation of spatial lags (local Moran,
  Gi*).

Nothing here is public API; the public modules (``nni``, ``autocorrelation``, ``local``, ...)
import from these modules and document the user-facing options.
"""
