"""The local edge follows the distribution's VPC origin to the load balancer it names.

A real emulator (moto + shims) holds an internal NLB, its listener and target group, a CloudFront
VPC origin for it and a distribution whose ``/api/*`` origin uses that VPC origin. The edge is
built from what ``readback`` reads there, exactly as the data plane builds it, and a small HTTP
server stands in for the load balancer's targets.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiohttp import ClientSession, web

from localaws import LocalAWS
from localaws.dataplane.edge import Edge
from localaws.dataplane.readback import read_distribution, read_target_group
from tests.local.helpers import client_factory

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


@pytest.fixture(scope="module")
def deployed():
    """(client factory, distribution id, cluster, service) of an API behind an internal NLB reached through a VPC origin."""
    with LocalAWS(port=0, quiet=True) as server:
        aws = client_factory(server.endpoint)
        ec2, elb, cf, ecs = aws("ec2"), aws("elbv2"), aws("cloudfront"), aws("ecs")
        vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        lb = elb.create_load_balancer(Name="edge-api", Subnets=[subnet], Type="network", Scheme="internal")["LoadBalancers"][0]
        tg = elb.create_target_group(Name="edge-api", Protocol="TCP", Port=8000, VpcId=vpc, TargetType="ip")["TargetGroups"][0]
        action = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80, DefaultActions=action)
        ecs.create_cluster(clusterName="edge")
        ecs.register_task_definition(family="edge", containerDefinitions=[{"name": "api", "image": "api", "memory": 512}])
        ecs.create_service(
            cluster="edge",
            serviceName="api",
            taskDefinition="edge",
            desiredCount=1,
            loadBalancers=[{"targetGroupArn": tg["TargetGroupArn"], "containerName": "api", "containerPort": 8000}],
        )
        endpoint = {"Name": "edge-api", "Arn": lb["LoadBalancerArn"], "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}
        vpc_origin = cf.create_vpc_origin(VpcOriginEndpointConfig=endpoint)["VpcOrigin"]["Id"]
        behaviour = {"TargetOriginId": "api", "ViewerProtocolPolicy": "https-only", "CachePolicyId": CACHING_DISABLED}
        api = {"Id": "api", "DomainName": lb["DNSName"], "VpcOriginConfig": {"VpcOriginId": vpc_origin}}
        distribution = cf.create_distribution(
            DistributionConfig={
                "CallerReference": uuid.uuid4().hex,
                "Comment": "edge test",
                "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [api]},
                "DefaultCacheBehavior": {**behaviour, "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST},
            }
        )["Distribution"]["Id"]
        yield aws, distribution, "edge", "api"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _through_edge(distribution, balancers_for) -> tuple[int, str]:
    """GET /api/hello through an Edge of ``distribution`` whose balancers are ``balancers_for(upstream address)``."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"target answered {request.path}")

    upstream = web.Application()
    upstream.router.add_get("/{tail:.*}", hello)
    runner = web.AppRunner(upstream)
    await runner.setup()
    address = ("127.0.0.1", _free_port())
    await web.TCPSite(runner, *address).start()
    edge = Edge(distribution, s3_client=lambda: None, balancers=balancers_for(address), host="127.0.0.1", port=_free_port())
    await edge.start()
    try:
        async with ClientSession() as session, session.get(edge.url + "/api/hello") as response:
            return response.status, await response.text()
    finally:
        await edge.close()
        await runner.cleanup()


def _run(coroutine):
    """``asyncio.run`` in a thread of its own: a test before this one on the same worker may hold
    an event loop in this thread (Playwright's sync API does), and asyncio.run refuses to nest."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_the_edge_proxies_the_api_to_the_balancer_of_the_nlb_the_vpc_origin_names(deployed):
    aws, distribution_id, cluster, service = deployed
    # GIVEN the distribution and the service's target group as the data plane reads them
    distribution = read_distribution(aws, distribution_id)
    target_group = read_target_group(aws, cluster, service)
    [origin] = distribution.origins
    # THEN the VPC origin resolves to the NLB whose listener forwards to the service's group
    assert origin.load_balancer_arn in target_group.load_balancer_arns
    # AND the edge, given the local balancer for that NLB (as the supervisor builds it), proxies /api/* to it
    status, body = _run(_through_edge(distribution, lambda addr: dict.fromkeys(target_group.load_balancer_arns, addr)))
    assert (status, body) == (200, "target answered /api/hello")


def test_an_api_origin_without_a_balancer_for_its_vpc_origin_gets_cloudfronts_502(deployed):
    aws, distribution_id, _, _ = deployed
    distribution = read_distribution(aws, distribution_id)
    # GIVEN a balancer for some other load balancer only, THEN CloudFront cannot reach the origin
    status, body = _run(_through_edge(distribution, lambda addr: {"arn:aws:elasticloadbalancing:other": addr}))
    assert status == 502 and "wasn't able to connect to the origin" in body
