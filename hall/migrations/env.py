"""Alembic environment: runs on the connection the hub hands it (see hall.migrate)."""

from alembic import context

from hall.db import load_models

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `hall init` (hall.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=load_models().metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
