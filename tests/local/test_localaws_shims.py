"""Each shim, proven with boto3 against a real in-process emulator (moto server + shims)."""

from __future__ import annotations

import json
import uuid

import botocore.exceptions
import pytest

from environment.site_headers import content_security_policy
from localaws import LocalAWS
from localaws.dataplane.readback import (
    read_distribution,
)
from localaws.shims import SHIMS
from localaws.shims._patch import install
from tests.local.helpers import client_factory


@pytest.fixture(scope="module")
def aws():
    with LocalAWS(port=0, quiet=True) as server:
        yield client_factory(server.endpoint)


def test_every_shim_documents_its_gap():
    for shim in SHIMS:
        assert "moto 5.2.5" in shim.GAP and len(shim.GAP) > 80, shim.__name__
        assert shim.__doc__, shim.__name__


def test_a_second_install_changes_nothing(aws):
    # The server has installed every shim. Installing again must not wrap a wrapper (a doubled
    # wrapper would, e.g., record a restore event twice): every patched attribute stays the same object.
    for shim in SHIMS:
        before = {(target, name): target.__dict__[name] for target, attributes in shim.patches().items() for name in attributes}
        assert install(shim) is False, shim.__name__
        assert {key: key[0].__dict__[key[1]] for key in before} == before, shim.__name__


# ------------------------------------------------------------ Application Auto Scaling tags


def _register(aws, table: str, **extra):
    aws("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    aas = aws("application-autoscaling")
    return aas.register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{table}",
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
        MinCapacity=1,
        MaxCapacity=4,
        **extra,
    )["ScalableTargetARN"]


def test_appautoscaling_tags_set_are_tags_read_back(aws):
    aas = aws("application-autoscaling")
    arn = _register(aws, "tagged", Tags={"Environment": "local", "Owner": "platform"})
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Environment": "local", "Owner": "platform"}

    aas.tag_resource(ResourceARN=arn, Tags={"Application": "geo", "Owner": "data"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Owner": "data", "Application": "geo"}


def test_appautoscaling_tags_go_with_the_target_and_unknown_arns_fail(aws):
    aas = aws("application-autoscaling")
    arn = _register(aws, "shortlived", Tags={"Environment": "local"})
    aas.deregister_scalable_target(
        ServiceNamespace="dynamodb", ResourceId="table/shortlived", ScalableDimension="dynamodb:table:ReadCapacityUnits"
    )
    with pytest.raises(aas.exceptions.ResourceNotFoundException):
        aas.list_tags_for_resource(ResourceARN=arn)
    with pytest.raises(botocore.exceptions.ClientError, match="ValidationException"):
        aas.tag_resource(ResourceARN=_register(aws, "reserved"), Tags={"aws:owner": "x"})


# ------------------------------------------------------------ CloudFront


def _distribution(aws, *, forwarded_values: bool):
    cf = aws("cloudfront")
    oac = cf.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": f"oac-{uuid.uuid4().hex[:8]}",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    behaviour = {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https"}
    if forwarded_values:
        behaviour |= {"ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "MinTTL": 0}
    else:
        behaviour["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6"
    created = cf.create_distribution(
        DistributionConfig={
            "CallerReference": uuid.uuid4().hex,
            "Comment": "shim test",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": "assets.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                        "OriginAccessControlId": oac,
                    }
                ],
            },
            "DefaultCacheBehavior": behaviour,
        }
    )
    config = cf.get_distribution(Id=created["Distribution"]["Id"])["Distribution"]["DistributionConfig"]
    return oac, config


def test_cloudfront_keeps_the_origin_access_control(aws):
    oac, config = _distribution(aws, forwarded_values=False)
    (origin,) = config["Origins"]["Items"]
    assert origin["OriginAccessControlId"] == oac
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_cloudfront_returns_forwarded_values_only_when_sent(aws):
    _, with_policy = _distribution(aws, forwarded_values=False)
    assert "ForwardedValues" not in with_policy["DefaultCacheBehavior"]
    assert with_policy["DefaultCacheBehavior"]["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    _, legacy = _distribution(aws, forwarded_values=True)
    assert legacy["DefaultCacheBehavior"]["ForwardedValues"]["QueryString"] is False


def test_cloudfront_default_certificate_has_no_ssl_support_method(aws):
    _, config = _distribution(aws, forwarded_values=False)
    certificate = config["ViewerCertificate"]
    assert certificate["CloudFrontDefaultCertificate"] is True
    assert "SSLSupportMethod" not in certificate


# ------------------------------------------------------------ CloudFront response headers policies


def _headers_config(name: str, csp: str) -> dict:
    return {
        "Name": name,
        "SecurityHeadersConfig": {
            "StrictTransportSecurity": {"Override": True, "IncludeSubdomains": True, "Preload": True, "AccessControlMaxAgeSec": 63072000},
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": "DENY"},
            "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
            "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": csp},
        },
    }


def test_response_headers_policy_is_read_back_as_written_and_changed_only_with_its_etag(aws):
    cf = aws("cloudfront")
    config = _headers_config(f"headers-{uuid.uuid4().hex[:8]}", content_security_policy("https://tenant.eu.auth0.com"))
    created = cf.create_response_headers_policy(ResponseHeadersPolicyConfig=config)
    policy_id, etag = created["ResponseHeadersPolicy"]["Id"], created["ETag"]
    assert cf.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"] == config
    assert cf.get_response_headers_policy_config(Id=policy_id) | {"ResponseMetadata": None} == {
        "ResponseHeadersPolicyConfig": config,
        "ETag": etag,
        "ResponseMetadata": None,
    }
    listed = cf.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]["Items"]
    assert policy_id in {item["ResponseHeadersPolicy"]["Id"] for item in listed}

    with pytest.raises(cf.exceptions.ResponseHeadersPolicyAlreadyExists):
        cf.create_response_headers_policy(ResponseHeadersPolicyConfig=config)
    with pytest.raises(cf.exceptions.PreconditionFailed):
        cf.update_response_headers_policy(Id=policy_id, IfMatch="stale", ResponseHeadersPolicyConfig=config)
    changed = {**config, "Comment": "frames allowed from the same origin"}
    changed["SecurityHeadersConfig"] = {**config["SecurityHeadersConfig"], "FrameOptions": {"Override": True, "FrameOption": "SAMEORIGIN"}}
    updated = cf.update_response_headers_policy(Id=policy_id, IfMatch=etag, ResponseHeadersPolicyConfig=changed)
    assert updated["ETag"] != etag
    assert cf.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"] == changed

    cf.delete_response_headers_policy(Id=policy_id, IfMatch=updated["ETag"])
    with pytest.raises(cf.exceptions.NoSuchResponseHeadersPolicy):
        cf.get_response_headers_policy(Id=policy_id)


def test_response_headers_policy_in_use_by_a_behaviour_cannot_be_deleted(aws):
    cf = aws("cloudfront")
    created = cf.create_response_headers_policy(
        ResponseHeadersPolicyConfig=_headers_config(f"used-{uuid.uuid4().hex[:8]}", "default-src 'self'")
    )
    policy_id = created["ResponseHeadersPolicy"]["Id"]
    cf.create_distribution(
        DistributionConfig={
            "CallerReference": uuid.uuid4().hex,
            "Comment": "uses a headers policy",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "api", "DomainName": "api.example.com", "CustomOriginConfig": _HTTP_ONLY}]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "api",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                "ResponseHeadersPolicyId": policy_id,
            },
        }
    )
    with pytest.raises(botocore.exceptions.ClientError, match="ResponseHeadersPolicyInUse"):
        cf.delete_response_headers_policy(Id=policy_id, IfMatch=created["ETag"])


_HTTP_ONLY = {
    "HTTPPort": 80,
    "HTTPSPort": 443,
    "OriginProtocolPolicy": "http-only",
    "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
}


# ------------------------------------------------------------ CloudFront VPC origins


def _internal_nlb(aws, name: str) -> dict:
    ec2, elb = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    return elb.create_load_balancer(Name=name, Subnets=[subnet], Type="network", Scheme="internal")["LoadBalancers"][0]


def _endpoint_config(lb: dict, policy: str = "http-only") -> dict:
    return {
        "Name": f"{lb['LoadBalancerName']}-origin",
        "Arn": lb["LoadBalancerArn"],
        "HTTPPort": 80,
        "HTTPSPort": 443,
        "OriginProtocolPolicy": policy,
        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
    }


def _service_groups(aws, vpc_id: str) -> list[str]:
    filters = [{"Name": "group-name", "Values": ["CloudFront-VPCOrigins-Service-SG"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    return [g["GroupId"] for g in aws("ec2").describe_security_groups(Filters=filters)["SecurityGroups"]]


def test_vpc_origin_is_read_back_as_written_tagged_and_changed_only_with_its_etag(aws):
    # GIVEN an internal NLB and no VPC origin in its VPC: no service-managed group yet
    cf, lb = aws("cloudfront"), _internal_nlb(aws, "vo-roundtrip")
    assert _service_groups(aws, lb["VpcId"]) == []
    # WHEN a VPC origin is made for it, with tags
    config = _endpoint_config(lb)
    made = cf.create_vpc_origin(VpcOriginEndpointConfig=config, Tags={"Items": [{"Key": "Environment", "Value": "local"}]})
    origin, etag = made["VpcOrigin"], made["ETag"]
    # THEN it is deployed, reads back as written, carries its tags and is listed
    assert origin["Status"] == "Deployed" and origin["Arn"].endswith(f":vpcorigin/{origin['Id']}")
    got = cf.get_vpc_origin(Id=origin["Id"])
    assert (got["VpcOrigin"]["VpcOriginEndpointConfig"], got["ETag"]) == (config, etag)
    assert cf.list_tags_for_resource(Resource=origin["Arn"])["Tags"]["Items"] == [{"Key": "Environment", "Value": "local"}]
    listed = {o["Id"]: o for o in cf.list_vpc_origins()["VpcOriginList"]["Items"]}
    assert listed[origin["Id"]]["OriginEndpointArn"] == lb["LoadBalancerArn"]
    # AND CloudFront's service-managed group now exists in the load balancer's VPC, once
    assert len(_service_groups(aws, lb["VpcId"])) == 1
    # AND an update needs the current ETag
    changed = _endpoint_config(lb, "https-only")
    with pytest.raises(botocore.exceptions.ClientError, match="PreconditionFailed"):
        cf.update_vpc_origin(Id=origin["Id"], IfMatch="stale", VpcOriginEndpointConfig=changed)
    updated = cf.update_vpc_origin(Id=origin["Id"], IfMatch=etag, VpcOriginEndpointConfig=changed)
    assert updated["ETag"] != etag
    assert cf.get_vpc_origin(Id=origin["Id"])["VpcOrigin"]["VpcOriginEndpointConfig"]["OriginProtocolPolicy"] == "https-only"
    # AND a VPC origin for a load balancer that does not exist is refused
    with pytest.raises(botocore.exceptions.ClientError, match="EntityNotFound"):
        cf.create_vpc_origin(VpcOriginEndpointConfig={**config, "Arn": lb["LoadBalancerArn"].replace("vo-roundtrip", "missing")})


def test_distribution_keeps_its_vpc_origin_which_cannot_go_while_used(aws):
    # GIVEN a distribution whose only origin is a VPC origin of an internal NLB
    cf, lb = aws("cloudfront"), _internal_nlb(aws, "vo-inuse")
    made = cf.create_vpc_origin(VpcOriginEndpointConfig=_endpoint_config(lb))
    origin_id = made["VpcOrigin"]["Id"]
    vpc_origin = {"VpcOriginId": origin_id, "OriginReadTimeout": 30, "OriginKeepaliveTimeout": 5}
    created = cf.create_distribution(
        DistributionConfig={
            "CallerReference": uuid.uuid4().hex,
            "Comment": "vpc origin shim test",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "api", "DomainName": lb["DNSName"], "VpcOriginConfig": vpc_origin}]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "api",
                "ViewerProtocolPolicy": "https-only",
                "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            },
        }
    )
    distribution_id = created["Distribution"]["Id"]
    # THEN the distribution's origin reads back with its VpcOriginConfig
    [api] = cf.get_distribution(Id=distribution_id)["Distribution"]["DistributionConfig"]["Origins"]["Items"]
    assert api["VpcOriginConfig"] == vpc_origin
    # AND the local edge's read-back resolves it to the load balancer the VPC origin names
    [read] = read_distribution(aws, distribution_id).origins
    assert (read.vpc_origin_id, read.load_balancer_arn, read.s3) == (origin_id, lb["LoadBalancerArn"], False)
    # AND the VPC origin cannot be deleted while the distribution uses it
    with pytest.raises(botocore.exceptions.ClientError, match="CannotDeleteEntityWhileInUse"):
        cf.delete_vpc_origin(Id=origin_id, IfMatch=made["ETag"])
    # WHEN the distribution goes, THEN the VPC origin, its tags and CloudFront's group (the VPC's last origin) can go
    cf.delete_distribution(Id=distribution_id, IfMatch=cf.get_distribution(Id=distribution_id)["ETag"])
    cf.delete_vpc_origin(Id=origin_id, IfMatch=made["ETag"])
    with pytest.raises(botocore.exceptions.ClientError, match="EntityNotFound"):
        cf.get_vpc_origin(Id=origin_id)
    assert _service_groups(aws, lb["VpcId"]) == []


# ------------------------------------------------------------ RDS


def _cluster(aws, name: str, username: str = "admin"):
    rds = aws("rds")
    return rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername=username,
        ManageMasterUserPassword=True,
        DatabaseName="geodata",
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )["DBCluster"]


def test_rds_restores_a_managed_password_cluster_and_records_the_snapshot(aws):
    rds = aws("rds")
    source = _cluster(aws, "source")
    rds.create_db_cluster_snapshot(DBClusterIdentifier="source", DBClusterSnapshotIdentifier="source-snap")

    restored = rds.restore_db_cluster_from_snapshot(
        DBClusterIdentifier="restored", SnapshotIdentifier="source-snap", Engine="aurora-mysql"
    )["DBCluster"]

    assert restored["DatabaseName"] == "geodata" and restored["MasterUsername"] == "admin"
    assert "MasterUserSecret" not in restored, "RestoreDBClusterFromSnapshot does not manage the password"
    events = rds.describe_events(SourceType="db-cluster", SourceIdentifier="restored")["Events"]
    assert [e["Message"] for e in events] == ["Restored from snapshot source-snap"]
    managed = rds.modify_db_cluster(DBClusterIdentifier="restored", ManageMasterUserPassword=True, ApplyImmediately=True)
    secret_arn = managed["DBCluster"]["MasterUserSecret"]["SecretArn"]
    assert secret_arn != source["MasterUserSecret"]["SecretArn"]
    secret = json.loads(aws("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    assert secret["username"] == "admin" and secret["password"]


def test_rds_managed_master_secret_holds_the_master_user_and_a_generated_password(aws):
    secrets = [
        json.loads(
            aws("secretsmanager").get_secret_value(SecretId=_cluster(aws, name, "geoapp_admin")["MasterUserSecret"]["SecretArn"])[
                "SecretString"
            ]
        )
        for name in ("managed-a", "managed-b")
    ]
    assert [s["username"] for s in secrets] == ["geoapp_admin", "geoapp_admin"]
    assert len(secrets[0]["password"]) >= 20 and secrets[0]["password"] != secrets[1]["password"]


def test_rds_modify_cluster_switches_iam_authentication(aws):
    rds = aws("rds")
    _cluster(aws, "iam-auth")
    for wanted in (True, False):
        rds.modify_db_cluster(DBClusterIdentifier="iam-auth", EnableIAMDatabaseAuthentication=wanted, ApplyImmediately=True)
        (cluster,) = rds.describe_db_clusters(DBClusterIdentifier="iam-auth")["DBClusters"]
        assert cluster["IAMDatabaseAuthenticationEnabled"] is wanted


def test_rds_serverless_v2_cluster_has_no_v1_scaling_info(aws):
    cluster = _cluster(aws, "serverless-v2")
    assert "ScalingConfigurationInfo" not in cluster
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 2.0}


# ------------------------------------------------------------ ECS


def _network(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="svc", Description="svc", VpcId=vpc)["GroupId"]
    return subnet, group


def test_ecs_service_runs_its_desired_tasks_and_keeps_its_settings(aws):
    ecs = aws("ecs")
    subnet, group = _network(aws)
    ecs.create_cluster(clusterName="app")
    ecs.register_task_definition(
        family="api",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "api", "image": "api:1", "essential": True}],
    )
    ecs.create_service(
        cluster="app",
        serviceName="api",
        taskDefinition="api",
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
        availabilityZoneRebalancing="DISABLED",
        enableECSManagedTags=True,
        healthCheckGracePeriodSeconds=60,
    )
    (service,) = ecs.describe_services(cluster="app", services=["api"])["services"]
    assert (service["runningCount"], service["pendingCount"]) == (2, 0)
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert service["availabilityZoneRebalancing"] == "DISABLED"
    assert service["enableECSManagedTags"] is True
    assert service["healthCheckGracePeriodSeconds"] == 60

    ecs.update_service(cluster="app", service="api", desiredCount=3, healthCheckGracePeriodSeconds=30)
    (service,) = ecs.describe_services(cluster="app", services=["api"])["services"]
    assert service["runningCount"] == 3 and service["healthCheckGracePeriodSeconds"] == 30
    ecs.get_waiter("services_stable").wait(cluster="app", services=["api"], WaiterConfig={"Delay": 1, "MaxAttempts": 3})


# ------------------------------------------------------------ EC2 security group rules


def test_group_referencing_rules_keep_their_description(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    rule = ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": app, "Description": "from app"}]}
        ],
    )["SecurityGroupRules"][0]
    cidr = ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.8.0.0/24", "Description": "admin"}]}
        ],
    )["SecurityGroupRules"][0]
    described = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"], cidr["SecurityGroupRuleId"]])
    assert {r["SecurityGroupRuleId"]: r.get("Description") for r in described["SecurityGroupRules"]} == {
        rule["SecurityGroupRuleId"]: "from app",
        cidr["SecurityGroupRuleId"]: "admin",
    }


def test_a_repeated_rule_request_gets_the_same_rule_not_a_duplicate_error(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    lb = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc)["GroupId"]
    tasks = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]

    def allow(egress: bool) -> list[dict]:
        call = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
        pair = {"GroupId": tasks if egress else lb, "Description": "between lb and tasks"}
        permission = {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "UserIdGroupPairs": [pair]}
        return call(GroupId=lb if egress else tasks, IpPermissions=[permission])["SecurityGroupRules"]

    for egress, group in ((False, tasks), (True, lb)):
        first = allow(egress)
        again = allow(egress)  # the same request a second time (a retried create)
        assert [r["SecurityGroupRuleId"] for r in again] == [r["SecurityGroupRuleId"] for r in first]
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
        assert len([r for r in rules if r["IsEgress"] == egress and r.get("FromPort") == 8000]) == 1


# ------------------------------------------------------------ S3 bucket policies


def _bucket_with_policy(aws, name: str, statement: dict) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Principal": "*", "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"], **statement}],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def test_tls_only_bucket_policy_lets_requests_through(aws):
    _bucket_with_policy(aws, "tls-only", {"Effect": "Deny", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    s3 = aws("s3")
    s3.put_object(Bucket="tls-only", Key="state", Body=b"{}")
    assert s3.get_object(Bucket="tls-only", Key="state")["Body"].read() == b"{}"


def test_bucket_policy_conditions_still_deny_when_they_hold(aws):
    _bucket_with_policy(aws, "deny-tls", {"Effect": "Deny", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
    _bucket_with_policy(aws, "deny-all", {"Effect": "Deny", "Action": "s3:PutObject"})
    s3 = aws("s3")
    for bucket in ("deny-tls", "deny-all"):
        with pytest.raises(botocore.exceptions.ClientError, match="403|AccessDenied"):
            s3.put_object(Bucket=bucket, Key="k", Body=b"x")


# ------------------------------------------------------------ Budgets


def test_budget_subscribers_and_tags_round_trip(aws):
    budgets = aws("budgets")
    notification = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0, "ThresholdType": "PERCENTAGE"}
    budgets.create_budget(
        AccountId="123456789012",
        Budget={"BudgetName": "monthly", "BudgetLimit": {"Amount": "10", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"},
        NotificationsWithSubscribers=[
            {"Notification": notification, "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "a@example.com"}]}
        ],
        ResourceTags=[{"Key": "Environment", "Value": "local"}],
    )
    arn = "arn:aws:budgets::123456789012:budget/monthly"

    def subscribers():
        found = budgets.describe_subscribers_for_notification(AccountId="123456789012", BudgetName="monthly", Notification=notification)
        return [s["Address"] for s in found["Subscribers"]]

    assert subscribers() == ["a@example.com"]
    budgets.create_subscriber(
        AccountId="123456789012",
        BudgetName="monthly",
        Notification=notification,
        Subscriber={"SubscriptionType": "EMAIL", "Address": "b@example.com"},
    )
    budgets.delete_subscriber(
        AccountId="123456789012",
        BudgetName="monthly",
        Notification=notification,
        Subscriber={"SubscriptionType": "EMAIL", "Address": "a@example.com"},
    )
    assert subscribers() == ["b@example.com"]

    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "Environment", "Value": "local"}]
    budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "Owner", "Value": "platform"}])
    budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["Environment"])
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "Owner", "Value": "platform"}]
    budgets.delete_budget(AccountId="123456789012", BudgetName="monthly")
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.list_tags_for_resource(ResourceARN=arn)


# ------------------------------------------------------------ ECS one-off Fargate tasks


def test_fargate_task_with_task_level_memory_only_runs(aws):
    ecs, ec2 = aws("ecs"), aws("ec2")
    ecs.create_cluster(clusterName="oneoff")
    ecs.register_task_definition(
        family="migrate",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "api", "image": "example/api:1", "essential": True}],  # no container memory
    )
    subnet = ec2.describe_subnets()["Subnets"][0]
    group = ec2.create_security_group(GroupName="oneoff", Description="one-off task", VpcId=subnet["VpcId"])["GroupId"]
    tasks = ecs.run_task(
        cluster="oneoff",
        taskDefinition="migrate",
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet["SubnetId"]], "securityGroups": [group], "assignPublicIp": "DISABLED"}
        },
        overrides={"containerOverrides": [{"name": "api", "command": ["python", "-m", "geoapi", "migrate"]}]},
    )["tasks"]
    assert len(tasks) == 1 and tasks[0]["taskDefinitionArn"].endswith("task-definition/migrate:1")
    # the stored definition is unchanged: the shim only fills in the arithmetic
    [container] = ecs.describe_task_definition(taskDefinition="migrate")["taskDefinition"]["containerDefinitions"]
    assert "memoryReservation" not in container and "memory" not in container


# ------------------------------------------------------------ S3 delete markers


def test_a_bucket_with_delete_markers_empties_after_versioning_is_suspended(aws):
    """What Terraform's destroy does to the assets bucket after a publish removed a stale file:
    suspend versioning, then delete every version and delete marker, then the bucket."""
    s3, bucket = aws("s3"), f"markers-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"one")
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"two")
    s3.delete_object(Bucket=bucket, Key="index.html")  # a stale file removed: a delete marker
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    listed = s3.list_object_versions(Bucket=bucket)
    assert len(listed["DeleteMarkers"]) == 1
    everything = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in listed["Versions"] + listed["DeleteMarkers"]]
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": everything, "Quiet": True})
    assert not answer.get("Errors"), answer
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)
