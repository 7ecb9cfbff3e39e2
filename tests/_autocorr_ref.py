"""Helpers to read the spdep reference values written by tests/reference/autocorr.R."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from libpysal.graph import Graph

REF = Path(__file__).parent / "reference"


def units(dataset: str) -> pd.DataFrame:
    u = pd.read_csv(REF / "autocorr_units.csv")
    return u[u["dataset"] == dataset].set_index("id")


def neighbours(dataset: str, weights: str) -> pd.DataFrame:
    nb = pd.read_csv(REF / "autocorr_neighbours.csv")
    return nb[(nb["dataset"] == dataset) & (nb["weights"] == weights)]


def graph(dataset: str, weights: str) -> tuple[Graph, pd.DataFrame]:
    """Binary Graph rebuilt from R's neighbour list, and the units in the same order."""
    e = neighbours(dataset, weights)
    g = Graph.from_arrays(e["focal"].to_numpy(), e["neighbor"].to_numpy(), np.ones(len(e)))
    return g, units(dataset).loc[g.unique_ids]


def neighbour_sets(dataset: str, weights: str) -> dict:
    e = neighbours(dataset, weights)
    return {int(k): set(v.tolist()) for k, v in e.groupby("focal")["neighbor"]}


def global_refs() -> pd.DataFrame:
    return pd.read_csv(REF / "autocorr_global.csv")


def local_refs() -> pd.DataFrame:
    return pd.read_csv(REF / "autocorr_local.csv")


def incremental_refs() -> pd.DataFrame:
    return pd.read_csv(REF / "autocorr_incremental.csv")
