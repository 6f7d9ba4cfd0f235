"""Whether a decision-boundary picture colours each class's region like that class's points."""

from __future__ import annotations

from typing import Any

from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet


def regions_and_points(figure: Any) -> list[tuple[int, int]]:
    """For each point drawn: (the region it lies in, the region whose colour is nearest the point's)."""
    figure.canvas.draw()  # colours given as data and a colour map are worked out when drawn
    axes = figure.axes[0]
    regions = next(c for c in axes.collections if isinstance(c, ContourSet))
    points = next(c for c in axes.collections if isinstance(c, PathCollection) and not isinstance(c, ContourSet))
    region_colours = [tuple(colour[:3]) for colour in regions.get_facecolor()]
    paths = regions.get_paths()
    assert len(paths) == len(region_colours) >= 2
    found = []
    for (x, y), colour in zip(points.get_offsets(), points.get_facecolors(), strict=True):
        inside = [i for i, path in enumerate(paths) if path.contains_point((x, y))]
        if len(inside) != 1:
            continue  # on a boundary line
        nearest = min(
            range(len(region_colours)),
            key=lambda i: sum((a - b) ** 2 for a, b in zip(region_colours[i], colour[:3], strict=True)),
        )
        found.append((inside[0], nearest))
    return found


def share_coloured_alike(figure: Any) -> float:
    """The share of points whose region is coloured like them (all of those the model classifies right)."""
    pairs = regions_and_points(figure)
    assert len(pairs) >= 10
    return sum(region == nearest for region, nearest in pairs) / len(pairs)
