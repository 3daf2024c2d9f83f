"""The API: ECR image, Fargate service behind a Network Load Balancer, scaled on CPU.

One module per part a reader looks for:

* ``repository.py``: the ECR image repository and its lifecycle policy;
* ``task.py``: the task definition, its container, the execution/task roles and the log group;
* ``load_balancing.py``: the NLB, its target group and listener (``listener_port``);
* ``scaling.py``: the scaling target, step policies and CPU alarms;
* ``oneoff.py``: one-off task definitions of the same image with roles of their own (the
  database admin and loader tasks);
* ``service.py``: :class:`ApiService`, which composes them with the ECS cluster and service.
"""

from modules.api.load_balancing import HTTP_LISTENER_PORT, TLS_LISTENER_PORT, TLS_POLICY, listener_port
from modules.api.oneoff import OneOffTask
from modules.api.service import ApiService
from modules.api.task import CONTAINER_HEALTH_COMMAND, CONTAINER_NAME, CONTAINER_USER

__all__ = [
    "CONTAINER_HEALTH_COMMAND",
    "CONTAINER_NAME",
    "CONTAINER_USER",
    "HTTP_LISTENER_PORT",
    "TLS_LISTENER_PORT",
    "TLS_POLICY",
    "ApiService",
    "OneOffTask",
    "listener_port",
]
