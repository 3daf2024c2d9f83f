"""CI access: GitHub OIDC roles per environment and the permissions boundary of env roles.

``environment`` (what an environment's roles are scoped to), ``state_access`` (its state),
``deploy_policy`` / ``plan_policy`` (the two roles' policies, per service), ``boundary`` (the
boundary every env-stack role carries), ``roles`` (the construct: provider, roles, trust).
"""

from modules.ci.boundary import PermissionsBoundaries, boundary_policy, environment_boundary_arn
from modules.ci.deploy_policy import deploy_policy
from modules.ci.environment import CiEnvironment
from modules.ci.plan_policy import plan_policy
from modules.ci.roles import GithubCiAccess, deploy_trust_policy, plan_trust_policy

__all__ = [
    "CiEnvironment",
    "GithubCiAccess",
    "PermissionsBoundaries",
    "boundary_policy",
    "deploy_policy",
    "deploy_trust_policy",
    "environment_boundary_arn",
    "plan_policy",
    "plan_trust_policy",
]
