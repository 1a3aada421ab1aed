"""The suite's results: latest.json, a Markdown report with PNG plots, and the table.

Everything here reads the results dictionary run.py builds; nothing measures. Pure enough
to run on a sample (tests/test_bench.py does).
"""

from __future__ import annotations

import json
from pathlib import Path

# Every figure of the table, in its order: (figure, how it reads, bound, "min" or "max").
# A figure with a bound is a target (shown, measured or not); one without (None) is shown
# beside the target it explains, when it was measured.
FIGURES = [
    ("static_ratio.https", "static file: nginx over HTTPS ÷ gunicorn", 20, "min"),
    ("static_ratio.http", "static file: nginx over HTTP ÷ gunicorn", 20, "min"),
    ("dynamic_ratio.http", "light dynamic request: nginx over HTTP ÷ gunicorn", 0.95, "min"),
    ("dynamic_ratio.https", "light dynamic request: nginx over HTTPS ÷ gunicorn", 0.95, "min"),
    ("nginx_added_latency_ms.p50", "latency nginx adds, p50 (ms, one connection)", None, None),
    ("nginx_added_latency_ms.p99", "latency nginx adds, p99 (ms, one connection)", None, None),
    ("noop_seconds", "site.yml no-op re-run, one host (s)", 10, "max"),
    ("noop_ratio", "site.yml no-op re-run ÷ a one-task playbook, one host", 3, "max"),
    ("ping_seconds", "a one-task playbook (facts, ping), one host (s)", None, None),
    ("first_converge_ratio", "first converge ÷ its package and wheel installs", 2, "max"),
    ("first_converge_seconds", "first converge, one host (s)", None, None),
    ("floor_seconds", "its package and wheel installs (s)", None, None),
    ("fleet_noop_ratio", "no-op re-run: 8 app hosts ÷ 1", 2, "max"),
    ("fleet_noop_cpu_ratio", "the controller's CPU seconds: 8 app hosts ÷ 1", None, None),
    ("fleet8_noop_seconds", "no-op re-run, 8 app hosts (s)", None, None),
    ("fleet1_noop_seconds", "no-op re-run, 1 app host (s)", None, None),
    ("fleet8_noop_cpu_seconds", "the controller's CPU, 8 app hosts (s)", None, None),
    ("fleet1_noop_cpu_seconds", "the controller's CPU, 1 app host (s)", None, None),
    ("deploy_ratio", "deploy of a new release, no load ÷ its build and install", 1.5, "max"),
    ("deploy_seconds", "deploy.yml of a new release, no load (s)", None, None),
    ("deploy_floor_seconds", "its wheelhouse build and offline install (s)", None, None),
    ("deploy_load_ratio", "deploy under the steady load ÷ without", 2, "max"),
    ("deploy_under_load_seconds", "deploy.yml under the steady load (s)", None, None),
    ("deploy_p99_ratio", "p99 latency: rolling deploy ÷ steady", 2, "max"),
    ("steady_p99_ms", "p99 latency, steady load (ms)", None, None),
    ("deploy_p99_ms", "p99 latency, during the deploy (ms)", None, None),
    ("deploy_failed", "failed requests of the load during the deploy", 0, "max"),
    ("restart_p99_ratio", "p99 latency: two reloads of the app (handover) ÷ steady", 2, "max"),
    ("restart_max_ms", "slowest request of those reloads (ms)", 1000, "max"),
    ("restart_failed", "failed requests of the load during those reloads", 0, "max"),
    ("plain_restart_p99_ratio", "p99 latency: two systemctl restarts ÷ steady", None, None),
    ("plain_restart_max_ms", "slowest request of those restarts (ms)", None, None),
    ("wheelhouse_ratio", "wheelhouse build: cold ÷ warm cache", None, None),
]


def lookup(figures: dict, dotted: str) -> dict | None:
    value = figures
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, dict) and "median" in value else None


def verdicts(figures: dict) -> list[dict]:
    """Each target: its figure, bound and whether the median meets it (None: not measured)."""
    rows = []
    for name, label, bound, kind in FIGURES:
        if bound is None:
            continue
        figure = lookup(figures, name)
        met = None
        if figure is not None:
            met = figure["median"] >= bound if kind == "min" else figure["median"] <= bound
        rows.append(
            {
                "figure": name,
                "label": label,
                "target": f"{'≥' if kind == 'min' else '≤'} {bound}",
                "value": figure,
                "met": met,
            }
        )
    return rows


def _span(figure: dict) -> str:
    """median (min to max)"""
    return f"{_number(figure['median'])} ({_number(figure['min'])} to {_number(figure['max'])})"


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def table(figures: dict) -> str:
    """The Markdown table of every figure: median (min to max), target and verdict."""
    lines = [
        "| Figure | What it is | Median (min to max) | Target | Met |",
        "|---|---|---|---|---|",
    ]
    targets = {row["figure"]: row for row in verdicts(figures)}
    for name, label, _bound, _kind in FIGURES:
        row = targets.get(name)
        if row is None:
            figure = lookup(figures, name)
            if figure:
                lines.append(f"| `{name}` | {label} | {_span(figure)} | | |")
            continue
        figure = row["value"]
        value = _span(figure) if figure else "not measured"
        met = {True: "yes", False: "**no**", None: "-"}[row["met"]]
        lines.append(f"| `{name}` | {label} | {value} | {row['target']} | {met} |")
    return "\n".join(lines)


def plots(results: dict, out: Path) -> list[str]:
    """PNG plots of what was measured; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures, made = results["figures"], []

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
        made.append(name)

    if "static_rps" in figures:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        for ax, kind in zip(axes, ("static", "dynamic"), strict=True):
            series = figures[f"{kind}_rps"]
            labels = list(series)
            medians = [series[n]["median"] for n in labels]
            errors = [
                [series[n]["median"] - series[n]["min"] for n in labels],
                [series[n]["max"] - series[n]["median"] for n in labels],
            ]
            ax.bar(labels, medians, yerr=errors, capsize=4, color=["#2a7", "#4b9", "#d84"])
            ax.set_title(figures.get("serving_paths", {}).get(kind, kind))
            ax.set_ylabel("requests per second (median, min to max)")
        save(fig, "serving.png")

    if figures.get("noop_profile"):
        rows = figures["noop_profile"][:12][::-1]
        fig, ax = plt.subplots(figsize=(9, 4.5))
        ax.barh([r[0][:60] for r in rows], [r[1] for r in rows], color="#47a")
        ax.set_xlabel("seconds in one no-op run of site.yml (single host)")
        ax.tick_params(axis="y", labelsize=7)
        save(fig, "noop_profile.png")

    bars = [
        (label, lookup(figures, name))
        for name, label in (
            ("first_converge_seconds", "first converge"),
            ("floor_seconds", "its installs (floor)"),
            ("ping_seconds", "one-task playbook"),
            ("noop_seconds", "no-op, 1 host"),
            ("fleet1_noop_seconds", "no-op, fleet of 1"),
            ("fleet8_noop_seconds", "no-op, fleet of 8"),
            ("deploy_floor_seconds", "a release's build + install"),
            ("deploy_seconds", "deploy, no load"),
            ("deploy_under_load_seconds", "deploy under load"),
        )
    ]
    bars = [(label, f) for label, f in bars if f]
    if bars:
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.bar(
            [b[0] for b in bars],
            [b[1]["median"] for b in bars],
            yerr=[
                [b[1]["median"] - b[1]["min"] for b in bars],
                [b[1]["max"] - b[1]["median"] for b in bars],
            ],
            capsize=4,
            color="#58b",
        )
        ax.set_ylabel("seconds (median, min to max)")
        ax.tick_params(axis="x", labelsize=8)
        plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
        save(fig, "ansible.png")

    if figures.get("deploy_runs"):
        timeline = figures["deploy_runs"][0]["timeline"]
        fig, ax = plt.subplots(figsize=(9, 3.5))
        ok = [
            (t, ms)
            for t, ms, good in zip(timeline["t"], timeline["ms"], timeline["ok"], strict=True)
            if good
        ]
        bad = [
            (t, ms)
            for t, ms, good in zip(timeline["t"], timeline["ms"], timeline["ok"], strict=True)
            if not good
        ]
        ax.scatter([p[0] for p in ok], [p[1] for p in ok], s=2, color="#47a", label="answered")
        if bad:
            ax.scatter([p[0] for p in bad], [p[1] for p in bad], s=8, color="#d33", label="failed")
        ax.axvspan(*timeline["deploy"], color="#fc6", alpha=0.3, label="deploy.yml running")
        ax.set_yscale("log")
        ax.set_xlabel("seconds since the steady window began")
        ax.set_ylabel("latency (ms)")
        ax.legend(loc="upper left", fontsize=8)
        save(fig, "deploy_latency.png")
    return made


def write(results: dict, out: Path, explanation: str) -> None:
    """latest.json, report.md and the plots in OUT."""
    out.mkdir(parents=True, exist_ok=True)
    results = {**results, "targets": verdicts(results["figures"])}
    (out / "latest.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    images = plots(results, out)
    machine = results["machine"]
    lines = [
        "# Benchmark report",
        "",
        f"`make bench` ({results['mode']} mode, {results['runs']} runs of each figure) on "
        f"{machine['date']}. Generated by bench/run.py; how to read each figure: bench/README.md.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores; {machine['memory']}",
        f"- Load average (1, 5, 15 min) before: {machine['load_before']}; "
        f"after: {machine['load_after']}",
        f"- Servers pinned to CPU {machine['server_cpu']}, the load generator to CPU "
        f"{machine['client_cpu']}",
        f"- {machine['software']}",
        f"- Also running: {machine['note']}",
        "",
        "## Figures",
        "",
        table(results["figures"]),
        "",
        explanation,
    ]
    for image in images:
        lines += ["", f"![{image}]({image})"]
    (out / "report.md").write_text("\n".join(lines) + "\n")
