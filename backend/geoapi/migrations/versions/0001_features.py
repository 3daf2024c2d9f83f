"""Collections, features (SRID 4326 geometry with a SPATIAL index) and the seed log.

Revises:
Create Date: 2026-11-26
"""

from alembic import op

from geoapi import dialect as spatial

revision = "0001"
down_revision = None

TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"


def upgrade() -> None:
    d = spatial.for_connection(op.get_bind())
    op.execute(f"""
        CREATE TABLE collections (
            id VARCHAR(64) NOT NULL,
            title VARCHAR(255) NOT NULL,
            description TEXT NULL,
            bbox JSON NULL,
            created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
            PRIMARY KEY (id)
        ) {TABLE_OPTIONS}
    """)
    op.execute(f"""
        CREATE TABLE features (
            id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
            collection_id VARCHAR(64) NOT NULL,
            source_key VARCHAR(191) NULL,
            geom {d.geometry_column},
            properties JSON NOT NULL,
            updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
            PRIMARY KEY (id),
            KEY ix_features_collection (collection_id, id),
            UNIQUE KEY uq_features_source (collection_id, source_key),
            SPATIAL KEY {spatial.GEOMETRY_INDEX} (geom),
            CONSTRAINT fk_features_collection FOREIGN KEY (collection_id)
                REFERENCES collections (id) ON DELETE CASCADE
        ) {TABLE_OPTIONS}
    """)
    op.execute(f"""
        CREATE TABLE seed_log (
            checksum CHAR(64) NOT NULL,
            source VARCHAR(1024) NOT NULL,
            kind VARCHAR(16) NOT NULL,
            items INT NOT NULL,
            applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
            PRIMARY KEY (checksum)
        ) {TABLE_OPTIONS}
    """)


def downgrade() -> None:
    op.execute("DROP TABLE seed_log")
    op.execute("DROP TABLE features")
    op.execute("DROP TABLE collections")
