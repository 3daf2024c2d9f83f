"""Aurora clusters restore from snapshots of clusters that used a managed master password.

Behaviour after the shim (as in AWS): RestoreDBClusterFromSnapshot has no
ManageMasterUserPassword parameter, so the restored cluster starts with the master
password held in the snapshot (not retrievable) and without a Secrets Manager secret; the
AWS provider then calls ModifyDBCluster(ManageMasterUserPassword=true), which creates a
new managed secret. The restore is also recorded as a ``db-cluster`` event
("Restored from snapshot <id>", the message RDS uses for restored DB instances), so a drill
can check which snapshot a cluster came from with ``describe-events``.
"""

from __future__ import annotations

import secrets
from typing import Any

from moto.core.utils import utcnow
from moto.rds import models as rds_models

from ._patch import Patches

GAP = (
    "moto 5.2.5: RestoreDBClusterFromSnapshot raises KeyError '_master_user_password' "
    "(HTTP 500) when the snapshot's source cluster used ManageMasterUserPassword, so "
    "aws_rds_cluster with snapshot_identifier cannot be created; moto also keeps no trace "
    "of which snapshot a cluster was restored from. ModifyDBCluster ignores "
    "EnableIAMDatabaseAuthentication, which the AWS provider sends after a restore, so the "
    "restored cluster shows iam_database_authentication_enabled drift."
)


class RestoreEvent:
    """An RDS event (shape ``Event``) for a restored cluster."""

    def __init__(self, cluster: Any, snapshot_id: str) -> None:
        self.source_identifier = cluster.db_cluster_identifier
        self.source_type = "db-cluster"
        self.message = f"Restored from snapshot {snapshot_id}"
        self.event_categories = ["restoration"]
        self.source_arn = cluster.arn
        self.date = utcnow()


def patches() -> Patches:
    """Patch ``DBCluster.get_cfg`` and the backend's restore and modify of clusters."""
    cluster_cls = rds_models.DBCluster
    backend_cls = rds_models.RDSBackend
    original_get_cfg = cluster_cls.get_cfg
    original_restore = backend_cls.restore_db_cluster_from_snapshot

    def get_cfg(self: Any) -> dict[str, Any]:
        if "_master_user_password" in self.__dict__:
            return original_get_cfg(self)
        # Managed password: stand in for the (unknowable) password inside the snapshot.
        self.__dict__["_master_user_password"] = secrets.token_urlsafe(24)
        try:
            cfg = original_get_cfg(self)
        finally:
            del self.__dict__["_master_user_password"]
        cfg["manage_master_user_password"] = False
        cfg.pop("master_user_secret", None)
        return cfg

    def restore_db_cluster_from_snapshot(self: Any, from_snapshot_id: str, overrides: dict[str, Any]) -> Any:
        cluster = original_restore(self, from_snapshot_id, overrides)
        self.events.append(RestoreEvent(cluster, from_snapshot_id))
        return cluster

    original_modify = backend_cls.modify_db_cluster

    def modify_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
        iam_auth = kwargs.get("enable_iam_database_authentication")
        new_id = kwargs.get("new_db_cluster_identifier") or kwargs["db_cluster_identifier"]
        before = original_modify(self, kwargs)  # moto returns the state before the change
        if iam_auth is not None:
            self.clusters[new_id].iam_auth = bool(iam_auth)
        return before

    return {
        cluster_cls: {"get_cfg": get_cfg},
        backend_cls: {"modify_db_cluster": modify_db_cluster, "restore_db_cluster_from_snapshot": restore_db_cluster_from_snapshot},
    }
