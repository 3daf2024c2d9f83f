"""Point index with each queryable: ``ixp_<column> (collection_id, pt_strip, pt_y, pt_x, <column>)``.

A bbox over points with a filter (or ``sortby``) on one queryable then reads index entries
alone; through ``ix_features_point`` it read each point's row for the filter (a random
primary-key lookup per point in the box).  Measured on 300k random points, 2°x2° boxes,
``cat = 'c3'``: 0.7 ms of MariaDB CPU per page of ids against 3.8 ms through the SPATIAL index.
Columns declared from now on get theirs in :func:`geoapi.schema.declare_queryables`.

Create Date: 2026-12-06
"""

from alembic import op

from geoapi.schema import queryable_columns

revision = "0004"
down_revision = "0003"


def point_index_0004(column: str) -> str:
    """This revision's form of ``ixp_<column>`` (0005 replaces it; kept here so that history stays as it ran)."""
    return f"ADD INDEX ixp_{column} (collection_id, pt_strip, pt_y, pt_x, {column})"


def upgrade() -> None:
    columns = queryable_columns(op.get_bind())
    if columns:
        op.execute("ALTER TABLE features " + ", ".join(point_index_0004(c) for c in columns))


def downgrade() -> None:
    columns = queryable_columns(op.get_bind())
    if columns:
        op.execute("ALTER TABLE features " + ", ".join(f"DROP INDEX ixp_{c}" for c in columns))
