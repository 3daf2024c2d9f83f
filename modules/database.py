"""Aurora Serverless v2 (MySQL 8.0 compatible), with backups and a restore path."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import RdsClusterParameterGroup, RdsClusterParameterGroupParameter
from constructs import Construct

from environment.config import DatabaseSettings
from environment.names import DbCluster, db_cluster_identifier
from modules.ci import environment_boundary_arn
from modules.iam import service_assume_role_policy

#: Logs Aurora exports to CloudWatch; their groups are created here first so that
#: they are encrypted, tagged and expire (RDS would create them bare).
EXPORTED_LOGS = ("audit", "error", "slowquery")


def _construct_id(slot: DbCluster, name: str) -> str:
    """Blue's constructs keep the ids of the single cluster before slots (same addresses in state)."""
    return name if slot == "blue" else f"{slot}-{name}"


def final_snapshot_name(identifier: str, restore_snapshot: str | None) -> str:
    """The snapshot RDS takes when the cluster is destroyed.

    A cluster restored from snapshot S gets ``<id>-final-from-<S>``, so destroying it (the
    slot is reused by a later restore) cannot collide with the final snapshot of the cluster before.
    """
    if restore_snapshot is None:
        return f"{identifier}-final"
    source = restore_snapshot.rsplit(":", 1)[-1]
    return f"{identifier}-final-from-{source}"[:255].rstrip("-")


class AuroraDatabase(Construct):
    """An Aurora MySQL 3 cluster of ``db.serverless`` instances in the private subnets.

    The master password is generated, stored and rotated by RDS in Secrets
    Manager (``manage_master_user_password``): it never passes through
    Terraform, the env file or the state. ``master_secret_arn`` is the secret.

    Args:
        settings: the env file's ``[database]``.
        name_prefix: cluster identifiers are :func:`environment.names.db_cluster_identifier`.
        subnet_ids: private subnets in two or more AZs.
        security_group_id: the DB's security group (see ``Network``).
        kms_key_arn: encrypts storage, the master secret and exported logs.
        deletion_protection: RDS refuses to delete the clusters (those in
            ``settings.retire`` excepted). Default: True (safe); only the emulator
            env (env-local) passes False, so that ``make down`` can destroy it.
        final_snapshot: RDS takes a snapshot named by :func:`final_snapshot_name`
            (deterministic per environment) when the cluster is destroyed.
            Default: True; only the emulator env passes False.
        log_retention_days: retention of the exported logs. Default: 30.
        monitoring: Performance Insights (7 days, encrypted with ``kms_key_arn``)
            and enhanced OS metrics every ``monitoring_interval_seconds`` on
            every instance. Default: True; the emulator passes False (moto
            models neither, so each plan would show drift).
        monitoring_interval_seconds: enhanced monitoring period. Default: 60.

    Clusters and restore: one cluster per slot of ``settings.clusters`` (blue,
    green), sharing the subnet group, the parameter group and the monitoring
    role. A slot in ``settings.restore`` is created from that snapshot, beside
    the others, which stay as they are. ``endpoint``, ``master_secret_arn``,
    ``cluster``, ``identifier`` and ``instances`` are those of the served slot
    (``settings.served_cluster``); ``clusters`` has them all. Blue keeps the
    construct ids and identifier of the single cluster before slots existed.
    See docs/runbooks/backup-and-restore.md.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DatabaseSettings,
        name_prefix: str,
        subnet_ids: list[str],
        security_group_id: str,
        kms_key_arn: str,
        deletion_protection: bool = True,
        final_snapshot: bool = True,
        log_retention_days: int = 30,
        monitoring: bool = True,
        monitoring_interval_seconds: int = 60,
    ):
        super().__init__(scope, id_)
        subnets = DbSubnetGroup(
            self, "subnets", name=f"{name_prefix}-db", subnet_ids=subnet_ids, description=f"{name_prefix} Aurora, private subnets"
        )
        parameters = self._parameter_group(name_prefix)
        self.monitoring_role = self._monitoring_role(name_prefix) if monitoring else None
        instance_monitoring = {}
        if self.monitoring_role is not None:
            instance_monitoring = {
                "performance_insights_enabled": True,
                "performance_insights_kms_key_id": kms_key_arn,
                "performance_insights_retention_period": 7,
                "monitoring_interval": monitoring_interval_seconds,
                "monitoring_role_arn": self.monitoring_role.arn,
            }
        self.clusters: dict[DbCluster, RdsCluster] = {}
        self.cluster_instances: dict[DbCluster, list[RdsClusterInstance]] = {}
        for slot in settings.clusters:
            identifier = db_cluster_identifier(name_prefix, slot)
            cluster = self._cluster(
                slot,
                identifier,
                settings,
                subnets=subnets,
                parameters=parameters,
                log_groups=self._log_groups(slot, identifier, log_retention_days, kms_key_arn),
                security_group_id=security_group_id,
                kms_key_arn=kms_key_arn,
                deletion_protection=deletion_protection and slot not in settings.retire,
                final_snapshot=final_snapshot,
            )
            self.clusters[slot] = cluster
            self.cluster_instances[slot] = [
                RdsClusterInstance(
                    self,
                    _construct_id(slot, f"instance-{n}"),
                    identifier=f"{identifier}-{n}",
                    cluster_identifier=cluster.id,
                    instance_class="db.serverless",
                    engine=cluster.engine,
                    engine_version=cluster.engine_version,
                    db_subnet_group_name=subnets.name,
                    publicly_accessible=False,
                    auto_minor_version_upgrade=True,
                    copy_tags_to_snapshot=True,
                    **instance_monitoring,
                )
                for n in range(1, settings.instances + 1)
            ]
        served = settings.served_cluster
        self.cluster = self.clusters[served]
        self.instances = self.cluster_instances[served]
        self.identifier = db_cluster_identifier(name_prefix, served)
        self.endpoint = self.cluster.endpoint
        self.port = 3306
        self.database_name = settings.name
        self.master_secret_arn = self.cluster.master_user_secret.get(0).secret_arn

    def _parameter_group(self, name_prefix: str) -> RdsClusterParameterGroup:
        """TLS only; the audit log records connections, grants and schema changes."""
        return RdsClusterParameterGroup(
            self,
            "parameters",
            name=f"{name_prefix}-aurora-mysql8",
            family="aurora-mysql8.0",
            description=f"{name_prefix}: TLS only, audit log on",
            parameter=[
                RdsClusterParameterGroupParameter(name="require_secure_transport", value="ON"),
                RdsClusterParameterGroupParameter(name="server_audit_logging", value="1"),
                RdsClusterParameterGroupParameter(name="server_audit_events", value="CONNECT,QUERY_DCL,QUERY_DDL"),
            ],
        )

    def _log_groups(self, slot: DbCluster, identifier: str, retention_days: int, kms_key_arn: str) -> list[CloudwatchLogGroup]:
        """One encrypted, expiring group per :data:`EXPORTED_LOGS` kind, made before the cluster."""
        return [
            CloudwatchLogGroup(
                self,
                _construct_id(slot, f"log-{kind}"),
                name=f"/aws/rds/cluster/{identifier}/{kind}",
                retention_in_days=retention_days,
                kms_key_id=kms_key_arn,
            )
            for kind in EXPORTED_LOGS
        ]

    def _cluster(
        self,
        slot: DbCluster,
        identifier: str,
        settings: DatabaseSettings,
        *,
        subnets: DbSubnetGroup,
        parameters: RdsClusterParameterGroup,
        log_groups: list[CloudwatchLogGroup],
        security_group_id: str,
        kms_key_arn: str,
        deletion_protection: bool,
        final_snapshot: bool,
    ) -> RdsCluster:
        """The cluster: encrypted, RDS-managed master secret, backups, exported logs."""
        snapshot = settings.restore.get(slot)
        return RdsCluster(
            self,
            _construct_id(slot, "cluster"),
            cluster_identifier=identifier,
            engine="aurora-mysql",
            engine_mode="provisioned",
            engine_version=settings.engine_version,
            database_name=settings.name,
            master_username=settings.username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=kms_key_arn,
            storage_encrypted=True,
            kms_key_id=kms_key_arn,
            db_subnet_group_name=subnets.name,
            db_cluster_parameter_group_name=parameters.name,
            vpc_security_group_ids=[security_group_id],
            serverlessv2_scaling_configuration={
                "min_capacity": settings.min_capacity_acu,
                "max_capacity": settings.max_capacity_acu,
            },
            backup_retention_period=settings.backup_retention_days,
            preferred_backup_window="02:00-03:00",
            preferred_maintenance_window="sun:03:30-sun:04:30",
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=list(EXPORTED_LOGS),
            iam_database_authentication_enabled=True,
            deletion_protection=deletion_protection,
            skip_final_snapshot=not final_snapshot,
            final_snapshot_identifier=final_snapshot_name(identifier, snapshot) if final_snapshot else None,
            snapshot_identifier=snapshot,
            depends_on=log_groups,
        )

    def _monitoring_role(self, name_prefix: str) -> IamRole:
        """The role RDS assumes to publish enhanced OS metrics."""
        partition = DataAwsPartition(self, "partition").partition
        role = IamRole(
            self,
            "monitoring-role",
            name=f"{name_prefix}-rds-monitoring",
            assume_role_policy=service_assume_role_policy("monitoring.rds.amazonaws.com"),
            permissions_boundary=environment_boundary_arn(self),
        )
        IamRolePolicyAttachment(
            self,
            "monitoring-policy",
            role=role.name,
            policy_arn=f"arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        )
        return role
