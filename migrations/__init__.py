"""Alembic revisions of the Commons schema; applied by `commons db upgrade` and at start."""
