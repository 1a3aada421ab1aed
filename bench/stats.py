"""Summaries of repeated measurements: the median to quote, with the min and max beside it.

Pure functions, unit-tested in tests/test_bench.py.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def summary(values: Sequence[float]) -> dict:
    """{median, min, max, runs: [...]} of one figure's runs."""
    if not values:
        raise ValueError("no runs to summarise")
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": list(values),
    }


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """A/B run by run: each pair was measured side by side, so the machine's drift cancels."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios need as many A runs as B runs")
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0.99 for p99) of at least one value."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]
