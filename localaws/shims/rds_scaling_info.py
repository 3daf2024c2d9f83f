"""Aurora clusters return ScalingConfigurationInfo only when they have one (Serverless v1)."""

from __future__ import annotations

from typing import Any

from moto.rds import models as rds_models

from ._patch import Patches

GAP = (
    "moto 5.2.5: DescribeDBClusters returns a ScalingConfigurationInfo block for every "
    "cluster, also provisioned / Serverless v2 ones (AWS returns it only for engine_mode "
    "serverless). The AWS provider reads it into scaling_configuration, so an Aurora "
    "Serverless v2 cluster shows an in-place change on every plan."
)


def patches() -> Patches:
    """Replace the ``DBCluster.scaling_configuration_info`` property: None without a config."""
    original = rds_models.DBCluster.scaling_configuration_info

    def scaling_configuration_info(self: Any) -> dict[str, Any] | None:
        if not self.scaling_configuration:
            return None
        return original.fget(self)  # type: ignore[union-attr]

    return {rds_models.DBCluster: {"scaling_configuration_info": property(scaling_configuration_info)}}
