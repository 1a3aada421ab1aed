"""The benchmark suite's pure parts (bench/): statistics, reading wrk's and Ansible's
reports, the deploy's latency windows, and the report. `make bench-quick` (part of
`make test`) runs the rest of it against real containers; no figure is asserted anywhere."""

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import fleet
import httpload
import playbook
import report
import stats

WRK = """Running 2s test @ http://plain.bench.test:80/healthz
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.01ms    1.20ms  20.00ms   90.00%
    Req/Sec     3.20k   100.00     3.40k    70.00%
  Latency Distribution
     50%  812.00us
     75%    5.50ms
     90%    6.20ms
     99%    1.21s
  6380 requests in 2.00s, 1.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3190.00
Transfer/sec:    512.00KB
"""


def test_summary_quotes_the_median_with_min_and_max():
    assert stats.summary([3.0, 1.0, 2.0]) == {
        "median": 2.0,
        "min": 1.0,
        "max": 3.0,
        "runs": [3.0, 1.0, 2.0],
    }


def test_ratios_pair_runs_measured_side_by_side():
    assert stats.ratios([10.0, 30.0], [5.0, 10.0]) == [2.0, 3.0]
    with pytest.raises(ValueError):
        stats.ratios([1.0], [1.0, 2.0])


@pytest.mark.parametrize(("fraction", "expected"), [(0.5, 50), (0.99, 99), (1.0, 100), (0.001, 1)])
def test_percentile_is_the_nearest_rank(fraction, expected):
    assert stats.percentile(list(range(100, 0, -1)), fraction) == expected


def test_wrk_report_is_read_with_units_and_every_failure():
    result = httpload.parse_wrk(WRK)
    assert result["rps"] == 3190.0
    assert result["requests"] == 6380
    assert result["errors"] == 7
    assert result["p50_ms"] == pytest.approx(0.812)
    assert result["p99_ms"] == pytest.approx(1210.0)


def test_wrk_output_that_is_no_report_is_refused():
    with pytest.raises(ValueError, match="not a wrk report"):
        httpload.parse_wrk("unable to connect to bench.test:443 Connection refused")


def _task(name, hosts, start, end):
    duration = {
        "start": f"2026-01-01T00:00:{start:06.3f}Z",
        "end": f"2026-01-01T00:00:{end:06.3f}Z",
    }
    return {"task": {"name": name, "duration": duration}, "hosts": hosts}


def test_ansible_json_report_gives_counts_and_a_profile():
    output = "[WARNING]: a warning before the report\n" + json.dumps(
        {
            "plays": [
                {
                    "tasks": [
                        _task(
                            "Render the site",
                            {"a": {"changed": False}, "b": {"changed": True}},
                            1.0,
                            3.5,
                        ),
                        _task("Skip this", {"a": {"skipped": True}}, 3.5, 3.6),
                        _task("Gather", {"a": {}}, 0.0, 1.0),
                    ]
                }
            ],
            "stats": {"a": {"ok": 2, "changed": 0, "skipped": 1}, "b": {"ok": 0, "changed": 1}},
        }
    )
    run = playbook.parse(output, 4.0)
    assert run.changed == 1
    assert run.tasks_per_host() == {"a": 2, "b": 1}
    assert run.profile(top=1) == [("Render the site", 5.0, 2)]


def test_a_run_counts_the_cpu_of_every_process_it_waited_for():
    # The child only waits; its own child does the work, as Ansible's forks do.
    busy = "x = 0\nfor i in range(3 * 10**6): x += i"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {busy!r}])"
    code, seconds, cpu, out, _err = playbook.timed([sys.executable, "-c", child])
    assert code == 0 and out == ""
    assert 0.05 < cpu <= seconds + 0.05


def test_a_failing_command_gives_its_exit_code_and_output():
    code, _seconds, _cpu, out, err = playbook.timed(
        [sys.executable, "-c", "import sys; print('out'); sys.exit('err')"]
    )
    assert (code, out, err) == (1, "out\n", "err\n")


def test_deploy_windows_split_requests_by_their_scheduled_start():
    samples = [[t, 0.010, "200", "/"] for t in range(0, 10)] + [
        [t, 0.040, "200", "/"] for t in range(10, 20)
    ]
    samples.append([15.5, 2.0, "ConnectionResetError", "/"])
    samples.append([16.5, 0.002, "RemoteDisconnected", "/"])
    result = fleet.windows(samples, (0, 10), (10, 20))
    assert result["steady"] == {
        "requests": 10,
        "failed": 0,
        "failures": {},
        "p50_ms": 10.0,
        "p99_ms": 10.0,
        "max_ms": 10.0,
    }
    assert result["deploy"]["failed"] == 2
    assert result["deploy"]["p99_ms"] == 2000.0
    assert result["deploy"]["max_ms"] == 2000.0
    with pytest.raises(ValueError, match="no request"):
        fleet.windows(samples, (100, 200), (10, 20))


@pytest.mark.parametrize(
    ("status", "failed"),
    [
        ("200", False),
        ("301", False),
        ("404", True),
        ("502", True),
        ("503", True),
        ("RemoteDisconnected", True),
        ("TimeoutError", True),
        ("ConnectionRefusedError", True),
    ],
)
def test_every_request_without_a_2xx_or_3xx_answer_is_a_failure(status, failed):
    samples = [[0.5, 0.01, "200", "/"], [1.5, 0.01, status, "/"]]
    result = fleet.windows(samples, (0, 1), (1, 2))
    assert result["deploy"]["failed"] == int(failed)
    assert result["deploy"]["failures"] == ({status: 1} if failed else {})


def test_each_app_variant_is_a_new_release_even_to_the_controllers_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet, "STATE_DIR", tmp_path)
    first = fleet.app_variant(3)
    assert re.search(r'^version = "[^"]+\.post3"$', (first / "pyproject.toml").read_text(), re.M)
    marker = (first / "notesapp" / "BENCH_VARIANT").read_text()
    # Made again (the next bench run): the same version, but other content, so another build.
    again = fleet.app_variant(3)
    assert again == first and (again / "notesapp" / "BENCH_VARIANT").read_text() != marker


def _sample_results():
    figure = stats.summary
    return {
        "mode": "quick",
        "runs": 1,
        "seconds": 100,
        "machine": {
            "date": "today",
            "cpu": "a CPU",
            "cores": 2,
            "memory": "1 GiB",
            "software": "Linux",
            "server_cpu": "0",
            "client_cpu": "1",
            "load_before": "1",
            "load_after": "2",
            "note": "-",
        },
        "figures": {
            "serving_paths": {"static": "/static/style.css", "dynamic": "/api/notes?limit=20"},
            "static_rps": {
                "nginx_https": figure([900.0]),
                "nginx_http": figure([1000.0]),
                "gunicorn": figure([50.0]),
            },
            "dynamic_rps": {
                "nginx_https": figure([90.0]),
                "nginx_http": figure([95.0]),
                "gunicorn": figure([100.0]),
            },
            "static_ratio": {"http": figure([20.0]), "https": figure([18.0])},
            "dynamic_ratio": {"http": figure([0.95]), "https": figure([0.9])},
            "noop_seconds": figure([12.0]),
            "noop_profile": [["Render each site", 1.5, 1], ["Gather the facts", 1.0, 1]],
            "first_converge_seconds": figure([40.0]),
            "floor_seconds": figure([20.0]),
            "deploy_seconds": figure([60.0]),
            "deploy_floor_seconds": figure([30.0]),
            "deploy_ratio": figure([2.0]),
            "deploy_runs": [
                {
                    "timeline": {
                        "t": [0, 1, 2],
                        "ms": [5, 50, 6],
                        "ok": [True, False, True],
                        "deploy": [0.5, 1.5],
                    }
                }
            ],
        },
    }


def test_table_names_every_target_and_whether_it_is_met():
    text = report.table(_sample_results()["figures"])
    assert "| `static_ratio.http` |" in text and "| ≥ 20 | yes |" in text
    assert (
        "| `static_ratio.https` | static file: nginx over HTTPS ÷ gunicorn "
        "| 18 (18 to 18) | ≥ 20 | **no** |" in text
    )
    assert (
        "| `noop_seconds` | site.yml no-op re-run, one host (s) | 12 (12 to 12) | ≤ 10 | **no** |"
        in text
    )
    assert "| `fleet_noop_ratio` | no-op re-run: 8 app hosts ÷ 1 | not measured | ≤ 2 | - |" in text
    assert "| `deploy_ratio` |" in text and "| 2 (2 to 2) | ≤ 1.5 | **no** |" in text


def test_table_shows_a_figure_without_target_beside_the_one_it_explains():
    lines = report.table(_sample_results()["figures"]).splitlines()
    names = [line.split("`")[1] for line in lines[2:]]
    assert names.index("first_converge_seconds") == names.index("first_converge_ratio") + 1
    # One without a target is left out when it was not measured; a target never is.
    assert "steady_p99_ms" not in names and "deploy_p99_ratio" in names


def test_report_writes_json_markdown_and_plots(tmp_path):
    report.write(_sample_results(), tmp_path, "Findings go here.")
    saved = json.loads((tmp_path / "latest.json").read_text())
    assert {row["figure"] for row in saved["targets"]} >= {"noop_seconds", "deploy_p99_ratio"}
    markdown = (tmp_path / "report.md").read_text()
    assert "Findings go here." in markdown
    for image in ("serving.png", "noop_profile.png", "ansible.png", "deploy_latency.png"):
        assert (tmp_path / image).stat().st_size > 1000
        assert f"]({image})" in markdown
