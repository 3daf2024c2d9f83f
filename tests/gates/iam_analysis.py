"""Privilege-escalation analysis of IAM policy documents: cloudsplaining plus one rule of our own.

cloudsplaining (with policy_sentry's action database) expands wildcards and lists the known
escalation paths a policy's allowed actions form. Run with ``flag_conditional_statements`` and
``flag_resource_arn_statements`` it reports every path, scoped or not, because it does not read
conditions. Our rule decides which of those paths are closed: an IAM-changing action is *guarded*
only when its statement carries the condition that caps it (``iam:PermissionsBoundary`` for role
changes, ``iam:PolicyARN`` as well for attachments, ``iam:PassedToService`` and a named resource
for ``PassRole``); actions with no such key (policy versions, users, groups, ``sts:AssumeRole``)
are never guarded. A path stays open when it contains an unguarded IAM-changing action, or none
at all (e.g. ``ecs:ExecuteCommand``) and its actions are not denied.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator

from cloudsplaining.scan.policy_document import PolicyDocument
from cloudsplaining.scan.statement_detail import StatementDetail
from policy_sentry.querying.actions import get_action_data

BOUNDARY = "iam:PermissionsBoundary"
GUARDS: dict[str, tuple[str, ...]] = {
    "iam:createrole": (BOUNDARY,),
    "iam:putrolepolicy": (BOUNDARY,),
    "iam:deleterolepolicy": (BOUNDARY,),
    "iam:updateassumerolepolicy": (BOUNDARY,),
    "iam:putrolepermissionsboundary": (BOUNDARY,),
    "iam:attachrolepolicy": (BOUNDARY, "iam:PolicyARN"),
    "iam:detachrolepolicy": (BOUNDARY, "iam:PolicyARN"),
    "iam:passrole": ("iam:PassedToService",),
}
"""IAM-changing action -> condition keys that must all scope it."""
NEVER_GUARDED = {
    "iam:createpolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:deleterolepermissionsboundary",
    "iam:putuserpolicy",
    "iam:attachuserpolicy",
    "iam:putgrouppolicy",
    "iam:attachgrouppolicy",
    "iam:addusertogroup",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:updateloginprofile",
    "iam:putuserpermissionsboundary",
    "iam:deleteuserpermissionsboundary",
    "sts:assumerole",
}
"""IAM-changing actions no condition key caps: allowed at all = escalation."""
IAM_CHANGING = set(GUARDS) | NEVER_GUARDED


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _condition_keys(statement: dict) -> set[str]:
    return {key.lower() for block in (statement.get("Condition") or {}).values() for key in block}


def _expanded(statement: dict) -> set[str]:
    """Lower-case actions a statement names (wildcards expanded by cloudsplaining/policy_sentry)."""
    if "NotAction" in statement:
        return set()  # only our Deny statements use NotAction; they are not counted as cancelling
    detail = StatementDetail({"Effect": statement["Effect"], "Action": statement["Action"], "Resource": "*"})
    return {a.lower() for a in detail.expanded_actions}


def _unconditionally_denied(policy: dict) -> set[str]:
    denied: set[str] = set()
    for statement in policy["Statement"]:
        if statement["Effect"] == "Deny" and not statement.get("Condition") and _as_list(statement.get("Resource")) == ["*"]:
            denied |= _expanded(statement)
    return denied


def unguarded_iam_changes(policy: dict) -> list[str]:
    """Our rule: ``"<Sid>: <action> without <keys>"`` for each IAM-changing action allowed unguarded."""
    denied = _unconditionally_denied(policy)
    findings = []
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        keys = _condition_keys(statement)
        for action in sorted((_expanded(statement) & IAM_CHANGING) - denied):
            if action in NEVER_GUARDED:
                findings.append(f"{statement.get('Sid')}: {action} (no condition key caps it)")
                continue
            missing = [k for k in GUARDS[action] if k.lower() not in keys]
            if action == "iam:passrole" and "*" in _as_list(statement["Resource"]):
                missing.append("a named role resource")
            if missing:
                findings.append(f"{statement.get('Sid')}: {action} without {', '.join(missing)}")
    return findings


def escalation_paths(policy: dict) -> list[str]:
    """cloudsplaining's escalation paths that our rule leaves open, then our own findings."""
    document = PolicyDocument(policy, flag_conditional_statements=True, flag_resource_arn_statements=True)
    unguarded = {f.split(": ", 1)[1].split(" ")[0] for f in unguarded_iam_changes(policy)}
    denied = _unconditionally_denied(policy)
    open_paths = []
    for path in document.allows_privilege_escalation:
        actions = {a.lower() for a in path["actions"]}
        iam = actions & IAM_CHANGING
        if (iam and iam <= unguarded) or (not iam and not actions & denied):
            open_paths.append(f"{path['type']} ({', '.join(sorted(actions))})")
    return open_paths + unguarded_iam_changes(policy)


# ---- service wildcards ----------------------------------------------------------------------

TAG_KEYS = re.compile(r"^aws:(resourcetag|requesttag)/", re.IGNORECASE)


def untagged_service_wildcards_on_star(policy: dict) -> list[str]:
    """Allow statements granting ``service:*`` (or ``*``) on ``*`` with no ``aws:ResourceTag``/``aws:RequestTag`` condition."""
    findings = []
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow" or "*" not in _as_list(statement.get("Resource", [])):
            continue
        wildcards = [a for a in _as_list(statement.get("Action", [])) if a == "*" or a.endswith(":*")]
        if "NotAction" in statement:
            wildcards.append(f"NotAction {statement['NotAction']}")
        if wildcards and not any(TAG_KEYS.match(k) for k in _condition_keys(statement)):
            findings.append(f"{statement.get('Sid')}: {wildcards} on *")
    return findings


def access_level(action: str) -> str | None:
    service, name = action.split(":", 1)
    rows = get_action_data(service, name).get(service) or []
    return rows[0]["access_level"] if rows else None


def star_only(action: str) -> bool:
    """True when AWS authorises ``action`` on ``*`` only (no resource type, per policy_sentry)."""
    service, name = action.split(":", 1)
    rows = get_action_data(service, name).get(service) or []
    return bool(rows) and all(r["resource_arn_format"] == "*" for r in rows)


def actions_on_star_without_tag_condition(policy: dict) -> Iterator[tuple[str, str]]:
    """(Sid, action) of every expanded action allowed on ``*`` without a tag condition."""
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow" or "*" not in _as_list(statement.get("Resource", [])):
            continue
        if any(TAG_KEYS.match(k) for k in _condition_keys(statement)):
            continue
        detail = StatementDetail({"Effect": "Allow", "Action": statement["Action"], "Resource": "*"})
        for action in detail.expanded_actions:
            yield statement.get("Sid", "?"), action


# ---- policies from synthesized JSON ---------------------------------------------------------


def concrete(text: str, *, account: str, partition: str = "aws", key_arn: str = "arn:aws:kms:eu-west-1:111111111111:key/state") -> dict:
    """A policy JSON string of ``cdk.tf.json`` with the partition/account/key references filled in."""
    text = re.sub(r"\$\{data\.aws_partition\.[\w-]+\.partition\}", partition, text)
    text = re.sub(r"\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}", account, text)
    text = re.sub(r"\$\{aws_kms_key\.[\w-]+\.arn\}", key_arn, text)
    assert "${" not in text, f"unresolved reference in policy: {text[:200]}"
    return json.loads(text)


def role_policies(stack: dict, *, account: str) -> dict[str, dict]:
    """``{role name: inline policy}`` of a bootstrap stack's CI roles (policies written as JSON)."""
    names = {rid: role["name"] for rid, role in stack["resource"].get("aws_iam_role", {}).items()}
    out = {}
    for policy in stack["resource"].get("aws_iam_role_policy", {}).values():
        (rid,) = re.fullmatch(r"\$\{aws_iam_role\.([\w-]+)\.id\}", policy["role"]).groups()
        out[names[rid]] = concrete(policy["policy"], account=account)
    return out


def matches(pattern: str, value: str) -> bool:
    """IAM-style ``*``/``?`` match."""
    return fnmatch.fnmatchcase(value, pattern)


def jsonencode_policy(expression: str) -> dict:
    """A ``${jsonencode({...})}`` policy of ``cdk.tf.json`` as a dict; bare references become strings."""
    match = re.fullmatch(r"\$\{jsonencode\((.*)\)\}", expression, re.DOTALL)
    assert match, f"not a jsonencode expression: {expression[:80]}"
    body, out, i = match.group(1), [], 0
    while i < len(body):
        char = body[i]
        if char == '"':
            end = i + 1
            while body[end] != '"' or body[end - 1] == "\\":
                end += 1
            out.append(body[i : end + 1])
            i = end + 1
        elif char == "=":
            out.append(":")
            i += 1
        elif re.match(r"[A-Za-z_]", char):
            (reference,) = re.match(r"([A-Za-z_][\w.-]*(?:\[\d+\][\w.-]*)*)", body[i:]).groups()
            out.append(json.dumps("${" + reference + "}"))
            i += len(reference)
        else:
            out.append(char)
            i += 1
    return json.loads("".join(out))


def env_role_policies(stack: dict) -> dict[str, dict]:
    """``{policy logical id: document}`` of an env stack's inline role policies."""
    return {name: jsonencode_policy(p["policy"]) for name, p in stack["resource"].get("aws_iam_role_policy", {}).items()}


# ---- policy evaluation (PMapper's local simulation) -----------------------------------------


def _principalmapper_on_python_3_10_plus() -> None:
    """principalmapper 1.1.5 (its last release) imports ``Mapping``/``MutableMapping`` from
    ``collections``, which Python 3.10 removed; give them back under their old names."""
    import collections
    import collections.abc

    for name in ("Mapping", "MutableMapping"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))


def authorized(
    principal_arn: str,
    action: str,
    resource: str,
    *,
    policies: list[dict],
    boundary: dict | None = None,
    resource_policy: dict | None = None,
    context: dict[str, str] | None = None,
) -> bool:
    """Does AWS allow role ``principal_arn`` (identity ``policies``, optional permissions ``boundary``)
    ``action`` on ``resource``, with ``resource_policy`` (same account) and request ``context``?

    principalmapper's full local evaluation: explicit denies anywhere, the resource policy, the
    boundary, then the identity policies (``aws:PrincipalArn`` and friends are filled in).
    """
    _principalmapper_on_python_3_10_plus()
    from principalmapper.common import Node, Policy
    from principalmapper.querying.query_interface import local_check_authorization_full
    from principalmapper.util.case_insensitive_dict import CaseInsensitiveDict

    node = Node(
        arn=principal_arn,
        id_value="AROAEXAMPLEROLEID",
        attached_policies=[Policy(principal_arn, f"inline-{n}", doc) for n, doc in enumerate(policies)],
        group_memberships=None,
        trust_policy={"Version": "2012-10-17", "Statement": []},
        instance_profile=None,
        num_access_keys=0,
        active_password=False,
        is_admin=False,
        permissions_boundary=Policy(principal_arn, "boundary", boundary) if boundary is not None else None,
        has_mfa=False,
        tags={},
    )
    owner = principal_arn.split(":")[4] if resource_policy is not None else None
    return local_check_authorization_full(node, action, resource, CaseInsensitiveDict(context or {}), resource_policy, owner)


def aws_managed_policy(name: str) -> dict:
    """The document of AWS managed policy ``name`` (as moto ships AWS's published set)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)[name]["Document"]


REFERENCE_ARNS = {
    "aws_ecr_repository": "arn:aws:ecr:{region}:{account}:repository/{name}",
    "aws_cloudwatch_log_group": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws_secretsmanager_secret": "arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf",
    "aws_kms_key": "arn:aws:kms:{region}:{account}:key/0c5b2d2e-0000-4000-8000-000000000000",
    "aws_rds_cluster": "arn:aws:secretsmanager:{region}:{account}:secret:rds!cluster-0c5b2d2e-AbCdEf",
    "aws_s3_bucket": "arn:aws:s3:::{bucket_prefix}20261202000000000000000001",
    "aws_cloudfront_distribution": "arn:aws:cloudfront::{account}:distribution/E2EXAMPLE0DIST",
    "aws_ssm_parameter": "arn:aws:ssm:{region}:{account}:parameter{name}",
}
"""What a reference in an env role's policy stands for at run time (``aws_rds_cluster``: its managed master secret)."""


def example_resource(stack: dict, resource: str, *, region: str, account: str) -> str:
    """A concrete ARN a request names for policy resource ``resource`` of env ``stack``: references
    become the ARN of the resource they name, wildcards an example (``RDS*``: RDS's ``RDSOSMetrics``)."""

    def arn_of(match: re.Match) -> str:
        rtype, rid = match.group(1), match.group(2)
        if rtype not in REFERENCE_ARNS:
            raise AssertionError(f"no example ARN for a reference to {rtype} (add it to REFERENCE_ARNS)")
        named = stack["resource"][rtype][rid]
        return REFERENCE_ARNS[rtype].format(
            region=region, account=account, name=named.get("name", rid), bucket_prefix=named.get("bucket_prefix")
        )

    text = re.sub(r"\$\{(aws_[a-z0-9_]+)\.([\w-]+)\.[^}]+\}", arn_of, resource)
    parts = text.split(":", 5)
    if len(parts) == 6:
        parts[3] = region if parts[3] == "*" else parts[3]
        parts[4] = account if parts[4] == "*" else parts[4]
        text = ":".join(parts)
    return text.replace("RDS*", "RDSOSMetrics").replace("*", "example")


def env_role_requests(stack: dict, *, region: str, account: str) -> dict[str, list[tuple[str, str]]]:
    """``{role name: [(action, example resource)]}``: every request an env-stack role's own policies
    (inline, and AWS managed ones attached) allow, with the concrete resource it names."""
    roles = {rid: role["name"] for rid, role in stack["resource"].get("aws_iam_role", {}).items()}
    documents: dict[str, list[dict]] = {name: [] for name in roles.values()}
    for policy in stack["resource"].get("aws_iam_role_policy", {}).values():
        (rid,) = re.fullmatch(r"\$\{aws_iam_role\.([\w-]+)\.(?:id|name)\}", policy["role"]).groups()
        documents[roles[rid]].append(
            jsonencode_policy(policy["policy"]) if policy["policy"].startswith("${") else json.loads(policy["policy"])
        )
    for attachment in stack["resource"].get("aws_iam_role_policy_attachment", {}).values():
        (rid,) = re.fullmatch(r"\$\{aws_iam_role\.([\w-]+)\.(?:id|name)\}", attachment["role"]).groups()
        (managed,) = re.fullmatch(r"arn:[^:]+:iam::aws:policy/(?:[\w-]+/)*([\w-]+)", attachment["policy_arn"]).groups()
        documents[roles[rid]].append(aws_managed_policy(managed))
    requests: dict[str, list[tuple[str, str]]] = {}
    for name, docs in documents.items():
        requests[name] = [
            (action, example_resource(stack, resource, region=region, account=account))
            for doc in docs
            for statement in doc["Statement"]
            if statement["Effect"] == "Allow"
            for action in _as_list(statement["Action"])
            for resource in _as_list(statement["Resource"])
        ]
    return requests
