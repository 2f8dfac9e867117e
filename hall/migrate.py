"""Schema migrations through Alembic, run on the app's own engine."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(connection) -> Config:
    """An Alembic config bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest revision."""
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "head")
        connection.commit()


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new revision from the models (for developers)."""
    with engine.connect() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
