"""Figure plumbing for the point-pattern results' ``plot()`` methods (private).

matplotlib is imported only here, inside the functions, so that the statistics modules stay
free of plotting imports. Saving to a file without an Axes draws on an off-screen Agg canvas,
leaving pyplot and the session's backend alone (safe in notebooks, servers and the CLI).
"""

from __future__ import annotations


def axes(ax=None, *, path=None, figsize=(6, 4.5)):
    """(figure or None, axes): the caller's Axes, an off-screen Agg figure, or a pyplot one."""
    if ax is not None:
        return None, ax
    if path is not None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        return fig, fig.add_subplot()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def save(fig, ax, path, *, dpi=150):
    if path is not None:
        (fig or ax.figure).savefig(path, dpi=dpi, bbox_inches="tight")
    return ax
