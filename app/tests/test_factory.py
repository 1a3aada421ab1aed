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


def test_database_url_overrides_the_state_directory(monkeypatch):
    url = "postgresql+psycopg://notes:s3cret@db.internal/notes?sslmode=verify-full"
    monkeypatch.setenv("FLASK_DATABASE_URL", url)
    app = create_app()
    assert app.config["DATABASE_URL"] == url
    assert app.extensions["notesapp.db"].dialect.name == "postgresql"


def test_db_upgrade_and_current_commands(make_app, tmp_path):
    state_dir = tmp_path / "state"
    app = make_app(state_dir, revision=None)
    runner = app.test_cli_runner()
    # The admin command creates the state directory; the web app never does.
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "at revision 0002" in result.output
    assert Path(state_dir, "notes.sqlite3").is_file()
    assert runner.invoke(args=["db", "current"]).output.strip() == "0002"


def test_db_upgrade_leaves_a_database_of_a_newer_release_alone(app, tmp_path):
    with app.extensions["notesapp.db"].begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dfeed'")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "made by a newer release: nothing to do" in result.output
