"""``ixp_<column>`` holds only the features with a value in ``<column>``.

The point index with a queryable (0004) led with ``pt_strip``: every point of every collection
entered every ``ixp_`` index at a random place, whether or not its collection declares the
queryable.  It now leads with ``ps_<column>``, the strip where the queryable has a value and
NULL elsewhere (:func:`geoapi.schema.point_index_sql`): the others enter at the index's NULL end,
in id order.  Measured on a first load of 1M points into a collection with none of the sample
queryables: 76 s -> 61 s, the same MariaDB CPU, less waiting on pages.  A bbox page filtered
on the queryable reads the same entries as before (a filter that can hold where the queryable
is NULL does not use the index, :meth:`geoapi.itemsql._Builder.point_index`).

Create Date: 2026-12-06
"""

from alembic import op

from geoapi import dialect as spatial
from geoapi.schema import point_index_sql, queryable_columns

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    columns = queryable_columns(op.get_bind())
    if columns:
        op.execute(
            "ALTER TABLE features "
            + ", ".join([*(f"DROP INDEX ixp_{c}" for c in columns), *(point_index_sql(c, name) for c, name in columns.items())])
        )


def downgrade() -> None:
    columns = queryable_columns(op.get_bind())
    old = [f"ADD INDEX ixp_{c} (collection_id, pt_strip, pt_y, pt_x, {c})" for c in columns]
    drops = [f"DROP INDEX ixp_{c}, DROP COLUMN {spatial.strip_column(c)}" for c in columns]
    if columns:
        op.execute("ALTER TABLE features " + ", ".join([*drops, *old]))
