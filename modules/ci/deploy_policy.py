"""The deploy role's policy: what ``terraform apply`` of ``env-<env>``, the image push and the ops
commands need, grouped per service, each part scoped to the environment.

Scoping, per service:

* by ARN prefix where the env stack names the resource (``<name_prefix>*``): S3, ECR, SSM
  parameters, Secrets Manager, ECS, RDS, CloudWatch alarms, EventBridge rules, logs, WAF, Budgets, SNS, CloudFront
  functions, KMS aliases;
* by the ``Environment`` tag where AWS names the resource itself (load balancers, target groups,
  distributions, KMS keys, scaling targets, security groups): ``aws:ResourceTag/Environment`` for
  existing resources, ``aws:RequestTag/Environment`` for creating (tag on create). A resource
  without the tag can be adopted by tagging it; one tagged for another environment cannot;
* ``*`` only for read-only describe/list calls (:data:`modules.ci.plan_policy.READ_ACTIONS`) and
  the few writes AWS offers on ``*`` only (:data:`UNSCOPED_WRITES`, each with its reason).

IAM: the deploy role may create or change a role named ``<name_prefix>-*`` (and the frontend
publish role ``geoapp-frontend-publish-<env>``, never passed to a service) only with the
environment's permissions boundary on it (``iam:PermissionsBoundary``), attach only the
environment's own managed policies (``iam:PolicyARN``), never remove or swap the boundary, and
never touch the boundary policy, the CI roles or the OIDC provider. Whatever role it makes is
capped by the boundary (:mod:`modules.ci.boundary`), which holds only the environment's runtime
needs, so no role it makes or passes can do more than the environment itself.
"""

from __future__ import annotations

from environment.names import frontend_publish_role_name
from modules.ci.environment import ENVIRONMENT_TAG, GITHUB_OIDC_HOST, Arns, CiEnvironment
from modules.ci.plan_policy import READ_ACTIONS
from modules.ci.state_access import state_guard_statements, state_statements

SERVICE_LINKED_ROLE_SERVICES = (
    "ecs.amazonaws.com",
    "rds.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
    "vpcorigin.cloudfront.amazonaws.com",  # CloudFront VPC origins (AWSServiceRoleForCloudFrontVPCOrigin)
)
PASS_ROLE_SERVICES = ("ecs-tasks.amazonaws.com", "monitoring.rds.amazonaws.com")
AWS_MANAGED_POLICIES = ("service-role/AmazonRDSEnhancedMonitoringRole",)
"""AWS-managed policies env roles may have attached (the RDS enhanced-monitoring role's)."""

UNSCOPED_WRITES = {
    "ecs:DeregisterTaskDefinition": "ECS offers it on * only; a deregistered revision stays usable by running tasks",
    "cloudfront:CreateOriginAccessControl": "CloudFront offers it on * only; an OAC grants nothing by itself",
    "cloudfront:CreateFunction": "CloudFront offers it on * only; a function serves nothing until a tagged distribution uses it",
    "cloudfront:CreateResponseHeadersPolicy": "CloudFront offers it on * only; a headers policy applies to nothing until a tagged distribution uses it",
    "logs:CreateLogDelivery": "Vended log delivery (WAF logging to the env's aws-waf-logs-* bucket) is authorised on * only",
    "logs:DeleteLogDelivery": "Vended log delivery is authorised on * only; it removes a delivery, never a log",
    "logs:UpdateLogDelivery": "Vended log delivery is authorised on * only",
}
"""Writes AWS authorises on ``*`` only (no resource ARN, no tag key); the gate checks that claim."""

IAM_ROLE_CHANGES = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
)
IAM_POLICY_CHANGES = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)


def _allow(sid: str, actions, resources, condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _in_regions(env: CiEnvironment) -> dict:
    return {"StringEquals": {"aws:RequestedRegion": env.regions}}


def tag_scoped(sid: str, service: str, create_actions: list[str], env: CiEnvironment) -> list[dict]:
    """``service:*`` on resources tagged for ``env``, and ``create_actions`` only when the request tags them so."""
    resource_tag, request_tag = f"aws:ResourceTag/{ENVIRONMENT_TAG}", f"aws:RequestTag/{ENVIRONMENT_TAG}"
    region = _in_regions(env)["StringEquals"]
    return [
        _allow(f"{sid}Tagged", f"{service}:*", "*", {"StringEquals": {resource_tag: env.tag, **region}}),
        _allow(
            f"{sid}CreateTagged",
            create_actions,
            "*",
            {"StringEquals": {request_tag: env.tag, **region}, "StringEqualsIfExists": {resource_tag: env.tag}},
        ),
    ]


# ---- IAM ------------------------------------------------------------------------------------


def iam_statements(env: CiEnvironment, arns: Arns, *, boundary_arn: str, role_name_prefix: str) -> list[dict]:
    """Roles only with the boundary; only own or listed AWS-managed policies; the boundary stays."""
    own_roles = arns.iam(f"role/{env.name_prefix}-*")
    roles = [own_roles, arns.iam(f"role/{frontend_publish_role_name(env.name)}")]
    with_boundary = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}
    attachable = [arns.iam(f"policy/{env.name_prefix}-*")] + [f"arn:{arns.partition}:iam::aws:policy/{p}" for p in AWS_MANAGED_POLICIES]
    return [
        _allow("EnvironmentRolesOnlyWithTheBoundary", list(IAM_ROLE_CHANGES), roles, with_boundary),
        _allow(
            "AttachOnlyOwnPoliciesUnderTheBoundary",
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            roles,
            {**with_boundary, "ArnLike": {"iam:PolicyARN": attachable}},
        ),
        _allow("TagEnvironmentRoles", ["iam:TagRole", "iam:UntagRole"], roles),
        _allow(
            "PassEnvironmentRolesToEcsAndRds",
            "iam:PassRole",
            own_roles,
            {"StringEquals": {"iam:PassedToService": list(PASS_ROLE_SERVICES)}},
        ),
        _allow(
            "ReadRolesAndPolicies",
            ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"]
            + ["iam:ListRoleTags", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"],
            [*roles, boundary_arn, *attachable],
        ),
        _allow(
            "ServiceLinkedRoles",
            "iam:CreateServiceLinkedRole",
            arns.iam("role/aws-service-role/*"),
            {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}},
        ),
        {
            "Sid": "BoundaryStaysOn",
            "Effect": "Deny",
            "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {"Sid": "BoundaryIsNeverRemoved", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
        {"Sid": "BoundaryPolicyIsManagedByBootstrap", "Effect": "Deny", "Action": list(IAM_POLICY_CHANGES), "Resource": boundary_arn},
        {
            "Sid": "NoPolicyAuthoring",
            "Effect": "Deny",
            "Action": ["iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"],
            "Resource": "*",
        },
        {
            "Sid": "NoLongLivedCredentials",
            "Effect": "Deny",
            "Action": [
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:CreateLoginProfile",
                "iam:UpdateLoginProfile",
                "iam:AttachUserPolicy",
                "iam:PutUserPolicy",
                "iam:AddUserToGroup",
            ],
            "Resource": "*",
        },
        {
            "Sid": "CiAccessIsNotSelfService",
            "Effect": "Deny",
            "NotAction": ["iam:Get*", "iam:List*"],
            "Resource": [
                arns.iam(f"role/{role_name_prefix}-*"),
                arns.iam(f"policy/{role_name_prefix}-*"),
                arns.iam(f"oidc-provider/{GITHUB_OIDC_HOST}"),
            ],
        },
    ]


# ---- storage, images, secrets, keys ---------------------------------------------------------


def storage_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    prefix = env.name_prefix
    return [
        _allow(
            "EnvironmentBuckets",
            "s3:*",
            [arns.s3(f"{prefix}-*"), arns.s3(f"{prefix}-*/*"), arns.s3(f"aws-waf-logs-{prefix}-*"), arns.s3(f"aws-waf-logs-{prefix}-*/*")],
        ),
        _allow("EnvironmentRepository", "ecr:*", arns.regional("ecr", env.region, f"repository/{env.ecr_repository}")),
        _allow("EnvironmentParameters", "ssm:*", arns.regional("ssm", env.region, f"parameter/{prefix}/*")),
    ]


def secrets_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    return [
        _allow("EnvironmentSecrets", "secretsmanager:*", arns.regional("secretsmanager", env.region, f"secret:{env.name_prefix}/*")),
        # manage_master_user_password: RDS creates and rotates its secret with the caller's rights;
        # the deploy role never reads or deletes it (RDS does, as itself)
        _allow(
            "RdsManagedSecretsCreatedByRds",
            ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:RotateSecret", "secretsmanager:DescribeSecret"],
            arns.regional("secretsmanager", env.region, "secret:rds!*"),
        ),
    ]


def kms_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    return [
        *tag_scoped("EnvironmentKeys", "kms", ["kms:CreateKey", "kms:TagResource"], env),
        _allow(
            "EnvironmentKeyAliases",
            ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            [arns.regional("kms", region, f"alias/{env.name_prefix}*") for region in env.regions],
        ),
    ]


# ---- compute, database, network, edge -------------------------------------------------------


def ecs_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    prefix, region = env.name_prefix, env.region
    resources = [
        f"cluster/{prefix}",
        f"service/{prefix}/*",
        f"task/{prefix}/*",
        f"task-definition/{prefix}-*:*",
        f"container-instance/{prefix}/*",
    ]
    return [
        _allow("EnvironmentEcs", "ecs:*", [arns.regional("ecs", region, r) for r in resources]),
        _allow("EcsUnscopedWrites", "ecs:DeregisterTaskDefinition", "*", _in_regions(env)),
        # a shell in a running task would act as its task role: CI has no need for one
        {"Sid": "NoShellInTasks", "Effect": "Deny", "Action": "ecs:ExecuteCommand", "Resource": "*"},
    ]


def rds_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    prefix, region = env.name_prefix, env.region
    kinds = ("cluster", "db", "subgrp", "cluster-pg", "pg", "cluster-snapshot", "snapshot")
    return [
        _allow("EnvironmentDatabase", "rds:*", [arns.regional("rds", region, f"{kind}:{prefix}-*") for kind in kinds]),
        # [database] restore may name any snapshot: restoring reads it, changes nothing
        _allow(
            "RestoreFromAnySnapshot",
            ["rds:RestoreDBClusterFromSnapshot", "rds:DescribeDBClusterSnapshots"],
            arns.regional("rds", region, "cluster-snapshot:*"),
        ),
    ]


def network_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    region = env.region
    vpc = arns.regional("ec2", region, f"vpc/{env.vpc_id or '*'}")
    group, rule = arns.regional("ec2", region, "security-group/*"), arns.regional("ec2", region, "security-group-rule/*")
    tag = f"aws:ResourceTag/{ENVIRONMENT_TAG}"
    return [
        _allow("SecurityGroupsInTheEnvironmentVpc", "ec2:CreateSecurityGroup", vpc),
        _allow(
            "CreateTaggedSecurityGroups",
            ["ec2:CreateSecurityGroup", "ec2:CreateTags"],
            group,
            {"StringEquals": {f"aws:RequestTag/{ENVIRONMENT_TAG}": env.tag}, "StringEqualsIfExists": {tag: env.tag}},
        ),
        _allow(
            "ChangeTaggedSecurityGroups",
            [
                "ec2:DeleteSecurityGroup",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:ModifySecurityGroupRules",
                "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
                "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            group,
            {"StringEquals": {tag: env.tag}},
        ),
        # a rule's own ARN grants nothing without its (tag-checked) group above
        _allow(
            "RulesOfThoseGroups",
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:ModifySecurityGroupRules", "ec2:CreateTags"],
            rule,
        ),
        *tag_scoped(
            "LoadBalancers",
            "elasticloadbalancing",
            [
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:AddTags",
            ],
            env,
        ),
        *tag_scoped(
            "Scaling",
            "application-autoscaling",
            ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"],
            env,
        ),
    ]


def edge_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    prefix, partition, account = env.name_prefix, arns.partition, arns.account
    cloudfront = f"arn:{partition}:cloudfront::{account}"
    waf = [
        arns.regional("wafv2", region, f"{scope}/{kind}/{prefix}*/*")
        for region in env.regions
        for scope in ("global", "regional")
        for kind in ("webacl", "ipset", "rulegroup", "regexpatternset")
    ]
    return [
        *tag_scoped(
            "Distributions",
            "cloudfront",
            [
                "cloudfront:CreateDistribution",
                "cloudfront:CreateVpcOrigin",
                "cloudfront:TagResource",
            ],
            env,
        ),
        _allow("EnvironmentFunctions", "cloudfront:*", f"{cloudfront}:function/{prefix}*"),
        # OACs carry no tags; their ARNs are ids. Changing one re-signs requests, it grants nothing.
        _allow(
            "OriginAccessControls",
            ["cloudfront:GetOriginAccessControl", "cloudfront:UpdateOriginAccessControl", "cloudfront:DeleteOriginAccessControl"],
            f"{cloudfront}:origin-access-control/*",
        ),
        # Response headers policies carry no tags either; a policy changes headers, it grants nothing.
        _allow(
            "ResponseHeadersPolicies",
            [
                "cloudfront:GetResponseHeadersPolicy",
                "cloudfront:UpdateResponseHeadersPolicy",
                "cloudfront:DeleteResponseHeadersPolicy",
            ],
            f"{cloudfront}:response-headers-policy/*",
        ),
        _allow(
            "CloudFrontUnscopedWrites",
            ["cloudfront:CreateOriginAccessControl", "cloudfront:CreateFunction", "cloudfront:CreateResponseHeadersPolicy"],
            "*",
        ),
        _allow("EnvironmentFirewall", "wafv2:*", waf),
        _allow("EnvironmentBudget", "budgets:*", f"arn:{partition}:budgets::{account}:budget/{prefix}*"),
    ]


def dns_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    """Certificates the stack issues (tagged for the environment), and, with ``[dns] hosted_zone_id``,
    the records of that one zone (aliases and ACM validation records)."""
    statements = tag_scoped("Certificates", "acm", ["acm:RequestCertificate", "acm:AddTagsToCertificate"], env)
    if env.hosted_zone_id:
        statements += [
            _allow(
                "EnvironmentZoneRecords",
                [
                    "route53:ChangeResourceRecordSets",
                    "route53:ListResourceRecordSets",
                    "route53:GetHostedZone",
                    "route53:ListTagsForResource",
                ],
                f"arn:{arns.partition}:route53:::hostedzone/{env.hosted_zone_id}",
            ),
            _allow("ZoneChanges", "route53:GetChange", f"arn:{arns.partition}:route53:::change/*"),
        ]
    return statements


def monitoring_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    prefix = env.name_prefix
    return [
        _allow("EnvironmentAlarms", "cloudwatch:*", [arns.regional("cloudwatch", r, f"alarm:{prefix}*") for r in env.regions]),
        _allow("EnvironmentTopics", "sns:*", [arns.regional("sns", r, f"{prefix}*") for r in env.regions]),
        _allow("EnvironmentEventRules", "events:*", [arns.regional("events", r, f"rule/{prefix}*") for r in env.regions]),
        _allow(
            "WafLogDelivery",
            ["logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:UpdateLogDelivery", "logs:GetLogDelivery", "logs:ListLogDeliveries"],
            "*",
        ),
        _allow(
            "EnvironmentLogGroups",
            "logs:*",
            [arns.regional("logs", r, f"log-group:*{prefix}*") for r in env.regions]
            + [arns.regional("logs", r, f"log-group:*{prefix}*:*") for r in env.regions],
        ),
    ]


def deploy_policy(
    env: CiEnvironment,
    *,
    partition: str,
    account: str,
    role_name_prefix: str,
    boundary_arn: str,
    state_kms_key_arn: str | None = None,
) -> dict:
    """The deploy role's inline policy (see the module doc for what each part allows)."""
    arns = Arns(partition, account)
    statements = state_statements(env, arns, state_kms_key_arn=state_kms_key_arn, write=True)
    statements += [
        _allow("ReadForRefresh", list(READ_ACTIONS), "*", _in_regions(env)),
        _allow("RegistryLogin", "ecr:GetAuthorizationToken", "*"),
        _allow("SecretsRandomPassword", ["secretsmanager:GetRandomPassword", "secretsmanager:ListSecrets"], "*"),
    ]
    for part in (storage_statements, secrets_statements, kms_statements, ecs_statements, rds_statements, network_statements):
        statements += part(env, arns)
    statements += edge_statements(env, arns) + dns_statements(env, arns) + monitoring_statements(env, arns)
    statements += iam_statements(env, arns, boundary_arn=boundary_arn, role_name_prefix=role_name_prefix)
    statements += state_guard_statements(env, arns, state_kms_key_arn=state_kms_key_arn)
    return {"Version": "2012-10-17", "Statement": statements}
