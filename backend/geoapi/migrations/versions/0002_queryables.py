"""Queryables: the ``queryables`` table, and the sample collections' declared properties.

Each declared property gets an indexed generated column in ``features``
(see :func:`geoapi.schema.declare_queryables`); a later migration declares more the same way.

Create Date: 2026-12-02
"""

from alembic import op

from geoapi.schema import QueryableSpec, declare_queryables, queryable_columns

revision = "0002"
down_revision = "0001"

TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

#: the collections shipped in backend/sample (and sample.sql)
SAMPLE_QUERYABLES = {
    "places": [
        QueryableSpec("name", "string", "Name"),
        QueryableSpec("country", "string", "Country"),
        QueryableSpec("capital", "boolean", "Capital city"),
    ],
    "routes": [QueryableSpec("from", "string", "From (place id)"), QueryableSpec("to", "string", "To (place id)")],
    "regions": [QueryableSpec("name", "string", "Name")],
}


def upgrade() -> None:
    op.execute(f"""
        CREATE TABLE queryables (
            collection_id VARCHAR(64) NOT NULL,
            name VARCHAR(64) NOT NULL,
            type VARCHAR(16) NOT NULL,
            title VARCHAR(255) NULL,
            temporal BOOLEAN NOT NULL DEFAULT FALSE,
            column_name VARCHAR(64) NOT NULL,
            PRIMARY KEY (collection_id, name)
        ) {TABLE_OPTIONS}
    """)
    conn = op.get_bind()
    for collection_id, specs in SAMPLE_QUERYABLES.items():
        declare_queryables(conn, collection_id, specs)


def downgrade() -> None:
    columns = queryable_columns(op.get_bind())
    if columns:
        op.execute("ALTER TABLE features " + ", ".join(f"DROP INDEX ix_{c}, DROP COLUMN {c}" for c in columns))
    op.execute("DROP TABLE queryables")
