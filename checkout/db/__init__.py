"""Database access: engine and sessions (`database`), typed models (`models`), Alembic migrations."""
