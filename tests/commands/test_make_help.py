"""`make help`, which the README's first screen points to, lists every target it names."""

from conftest import assert_succeeded, typed


def test_make_help_lists_the_targets_the_readme_names(log_dir):
    run = typed("make help", log_dir, timeout=60)
    assert_succeeded(run, "make help")
    listed = {line.split()[1] for line in run.output.splitlines() if line.startswith("  make ")}
    assert {"demo", "demo-fleet", "demo-down", "test", "commands", "bench", "venv"} <= listed
