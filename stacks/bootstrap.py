"""The bootstrap stack: the state bucket and lock table that environments keep their state in.

There is one bootstrap stack per distinct state bucket, so environments sharing
a bucket share it. Its own state starts local (it cannot live in a bucket that
does not exist yet); once applied, ``[state] bootstrap_state = "s3"`` moves it
into the bucket it created (see docs/runbooks/new-environment.md).

It is applied by the administrators' break-glass role (``[state] break_glass_role``), the only
principal besides the CI roles that the state bucket's policy lets in; CI never applies it.
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput
from constructs import Construct

from environment.config import MANDATORY_TAGS, EnvironmentConfig
from environment.names import ci_role_name, name_prefix
from modules.ci import CiEnvironment, GithubCiAccess, PermissionsBoundaries
from modules.cost import CostAllocationTags
from modules.guardrails import GuardRails
from modules.providers import aws_provider, s3_state_backend
from modules.state_backend import StateBackendResources
from stacks.guarded import GuardedStack


def state_roles(envs: list[EnvironmentConfig], with_ci: list[EnvironmentConfig]) -> dict[str, list[str]]:
    """Who may reach the state bucket: ``writers`` (the CI deploy roles and ``[state] break_glass_role``,
    which applies this stack) and ``readers`` (the CI plan roles); everyone else is denied.

    With ``[state] restrict_to_roles = false`` (the emulator's env file only) nobody is named, so the
    bucket policy stays TLS-only.
    """
    if not envs[0].state.restrict_to_roles:
        return {"writers": [], "readers": []}
    return {
        "writers": [ci_role_name(e.name, "deploy") for e in with_ci] + [envs[0].state.break_glass_role],
        "readers": [ci_role_name(e.name, "plan") for e in with_ci],
    }


class BootstrapStack(GuardedStack):
    """The state backend shared by ``envs`` (all of which name the same bucket)."""

    def __init__(self, scope: Construct, id_: str, *, envs: list[EnvironmentConfig]):
        super().__init__(scope, id_, guard_rails=GuardRails())
        first = envs[0]
        state = first.state
        tags = {
            "Environment": first.tags.Environment if len(envs) == 1 else "shared",
            "Owner": first.tags.Owner,
            "Application": first.tags.Application,
        }
        assert set(tags) == set(MANDATORY_TAGS)
        aws_provider(self, first.aws.model_copy(update={"region": state.region}), tags=tags)
        if state.bootstrap_state == "s3":
            bootstrap_state = state.model_copy(update={"key": "bootstrap/terraform.tfstate"})
            s3_state_backend(self, bootstrap_state, endpoint=first.aws.endpoint)
        else:
            # relative to the stack's working dir (cdktf.out/stacks/<id>): the project root, the
            # same place cdktf's default uses, without writing this machine's absolute path
            LocalBackend(self, path=f"../../../terraform.{id_}.tfstate")
        with_ci = [e for e in envs if e.ci is not None]
        resources = StateBackendResources(self, "state", state=state, allow_destroy=state.allow_destroy, **state_roles(envs, with_ci))
        TerraformOutput(self, "state_bucket", value=resources.bucket.bucket)
        TerraformOutput(self, "state_key_arn", value=resources.key.arn)
        if resources.lock_table is not None:
            TerraformOutput(self, "lock_table", value=resources.lock_table.name)
        # Everything below is account-level and shared by the group's environments (the loader
        # has checked that they agree on it).
        scopes = {
            e.name: CiEnvironment.from_config(e, name_prefix=name_prefix(e), github_environment=e.ci.github_environment if e.ci else None)
            for e in envs
        }
        # every env-stack role carries its environment's boundary (environment.names.permissions_boundary_arn)
        self.boundaries = PermissionsBoundaries(self, "boundaries", environments=list(scopes.values()))
        self.ci_access = None
        if with_ci:
            ci = with_ci[0].ci
            self.ci_access = GithubCiAccess(
                self,
                "ci",
                repository=ci.github_repository,
                environments=[scopes[e.name] for e in with_ci],
                create_provider=ci.existing_oidc_provider_arn is None,
                existing_provider_arn=ci.existing_oidc_provider_arn,
                state_kms_key_arn=resources.key.arn,
            )
        if first.cost.activate_allocation_tags:
            CostAllocationTags(self, "cost-allocation-tags", tag_keys=list(MANDATORY_TAGS))
        self.resources = resources
        self.envs = envs
