"""Alembic's environment: migrate over the connection notesapp.migrate hands over."""

from alembic import context

from notesapp.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations with: flask --app notesapp db upgrade")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters most things by copying the table: let autogenerate write it that way.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
