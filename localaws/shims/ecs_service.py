"""ECS services reach steady state and keep the settings moto does not store."""

from __future__ import annotations

import os
from typing import Any

from botocore import xform_name
from moto.ecs import models as ecs_models
from moto.ecs.responses import EC2ContainerServiceResponse

from ._patch import Patches

GAP = (
    "moto 5.2.5, ECS services: (1) a new service reports runningCount 0 and an IN_PROGRESS "
    "deployment forever unless MOTO_ECS_SERVICE_RUNNING is set, and that variable is one "
    "fixed number for every service, so aws_ecs_service with wait_for_steady_state (and "
    "`aws ecs wait services-stable`) never finish; (2) availabilityZoneRebalancing, "
    "enableECSManagedTags, enableExecuteCommand and healthCheckGracePeriodSeconds are "
    "accepted but not stored, so aws_ecs_service plans to set them again on every run."
)

REMEMBERED_FIELDS = (
    "availabilityZoneRebalancing",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
)
"""CreateService / UpdateService members stored as sent and returned by DescribeServices."""

OVERRIDE_VAR = "MOTO_ECS_SERVICE_RUNNING"
"""When set, moto's own fixed running count is kept and part (1) does nothing."""


def _settle(service: Any) -> None:
    """Report the desired task count as running, as a healthy service does once stable."""
    if os.environ.get(OVERRIDE_VAR):
        return
    service.running_count = service.desired_count
    service.pending_count = 0
    for deployment in service.deployments:
        deployment["desiredCount"] = service.desired_count
        deployment["runningCount"] = service.desired_count
        deployment["pendingCount"] = 0
        deployment["rolloutState"] = "COMPLETED"
        deployment["rolloutStateReason"] = f"ECS deployment {deployment['id']} completed."


def patches() -> Patches:
    """Wrap ``Service.__init__`` and the CreateService / UpdateService responses."""
    service_cls = ecs_models.Service
    service_init = service_cls.__init__

    def service_init_shim(self: Any, *args: Any, **kwargs: Any) -> None:
        service_init(self, *args, **kwargs)
        _settle(self)

    response_cls = EC2ContainerServiceResponse
    create = response_cls.create_service
    update = response_cls.update_service

    def _remember(response: Any, service_name: str) -> None:
        cluster = response._get_param("cluster", "default")
        service = response.ecs_backend._get_service(cluster, service_name.split("/")[-1])
        for member in REMEMBERED_FIELDS:
            value = response._get_param(member)
            if value is not None:  # the serializer reads members as snake_case attributes
                setattr(service, xform_name(member), value)

    def create_service(self: Any) -> Any:
        result = create(self)
        _remember(self, self._get_param("serviceName"))
        return result

    def update_service(self: Any) -> Any:
        result = update(self)
        _remember(self, self._get_param("service"))
        cluster = self._get_param("cluster", "default")
        _settle(self.ecs_backend._get_service(cluster, self._get_param("service").split("/")[-1]))
        return result

    return {
        service_cls: {"__init__": service_init_shim},
        response_cls: {"create_service": create_service, "update_service": update_service},
    }
