"""Points in a B-tree: generated lon/lat columns and a longitude strip, indexed per collection.

A bbox over a point collection reads this index alone (:mod:`geoapi.itemsql`), instead of
the SPATIAL index, which hands out candidates in R-tree order, each a random primary-key
lookup.  Measured on 1M uniformly random points, 2°x2° boxes (about 4,000 candidates),
page of 100 in id order: 10.2 ms of MariaDB CPU through the SPATIAL index, 1.45 ms through
this one.  Other geometry types have NULL there and keep the SPATIAL index.

Create Date: 2026-12-06
"""

from alembic import op

from geoapi import dialect as spatial

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    d = spatial.for_connection(op.get_bind())
    columns = ", ".join(f"ADD COLUMN {name} {definition}" for name, definition in spatial.point_columns_sql(d))
    op.execute(f"ALTER TABLE features {columns}, ADD INDEX {spatial.POINT_INDEX} (collection_id, pt_strip, pt_y, pt_x, id)")


def downgrade() -> None:
    columns = ", ".join(f"DROP COLUMN {name}" for name, _ in spatial.point_columns_sql(spatial.MARIADB))
    op.execute(f"ALTER TABLE features DROP INDEX {spatial.POINT_INDEX}, {columns}")
