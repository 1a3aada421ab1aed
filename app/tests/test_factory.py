"""The application factory: defaults, environment overrides, test configuration, CLI."""

from importlib import metadata
from pathlib import Path

from notesapp import create_app


def test_defaults():
    app = create_app()
    assert not app.testing
    assert app.config["SECRET_KEY"] == "dev"
    assert app.config["STATE_DIR"] == app.instance_path
    assert app.config["NOTE_TITLE_MAX"] == 200
    assert app.config["NOTE_BODY_MAX"] == 10_000
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_release_defaults_to_installed_version():
    try:
        expected = metadata.version("notesapp")
    except metadata.PackageNotFoundError:
        expected = "unknown"
    assert create_app().config["RELEASE"] == expected


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_RELEASE", "2.5.0-rc1")
    monkeypatch.setenv("FLASK_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("FLASK_NOTE_TITLE_MAX", "50")
    config = create_app().config
    assert config["RELEASE"] == "2.5.0-rc1"
    assert config["STATE_DIR"] == str(tmp_path)
    assert config["NOTE_TITLE_MAX"] == 50


def test_string_settings_are_not_parsed_as_json(monkeypatch):
    monkeypatch.setenv("FLASK_RELEASE", "1.10")
    monkeypatch.setenv("FLASK_SECRET_KEY", "12345")
    config = create_app().config
    assert config["RELEASE"] == "1.10"
    assert config["SECRET_KEY"] == "12345"


def test_test_config_wins_over_environment(monkeypatch):
    monkeypatch.setenv("FLASK_RELEASE", "from-env")
    app = create_app({"TESTING": True, "RELEASE": "from-test"})
    assert app.testing
    assert app.config["RELEASE"] == "from-test"


def test_init_db_command(tmp_path):
    state_dir = tmp_path / "state"
    app = create_app({"TESTING": True, "STATE_DIR": str(state_dir)})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "Initialized the database" in result.output
    assert Path(state_dir, "notes.sqlite3").is_file()
