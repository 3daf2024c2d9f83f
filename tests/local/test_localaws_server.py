"""localaws: loopback only, fails fast, creates the env file's network, background CLI."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

import localaws
from localaws.network import NetworkSpec
from tests.local.helpers import LOCAL_ENV, ROOT, client_factory


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "192.168.1.10", "example.com", "::"])  # noqa: S104 - all refused
def test_refuses_to_listen_beyond_loopback(host):
    with pytest.raises(localaws.LocalAWSError, match="loopback only"):
        localaws.LocalAWS(host=host, port=0)


def test_a_taken_port_fails_at_once_instead_of_hanging():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(localaws.LocalAWSError, match="cannot listen"):
            localaws.LocalAWS(port=busy.getsockname()[1]).start()


def test_creates_the_existing_network_named_in_the_env_file():
    spec = NetworkSpec.from_env_file(LOCAL_ENV)
    with localaws.LocalAWS(port=0, quiet=True, networks=[spec]) as server:
        ec2 = client_factory(server.endpoint)("ec2")
        (vpc,) = ec2.describe_vpcs(VpcIds=[spec.vpc_id])["Vpcs"]
        subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]}
        dns = ec2.describe_vpc_attribute(VpcId=spec.vpc_id, Attribute="enableDnsHostnames")
    assert dns["EnableDnsHostnames"]["Value"] is True  # one-off Fargate tasks need it (make data-load)
    assert set(subnets) == set(spec.public_subnet_ids) | set(spec.private_subnet_ids)
    for group in (spec.public_subnet_ids, spec.private_subnet_ids):
        assert len({subnets[s]["AvailabilityZone"] for s in group}) == 2, "each tier spans two AZs"
    assert all(subnets[s]["MapPublicIpOnLaunch"] for s in spec.public_subnet_ids)
    assert not any(subnets[s]["MapPublicIpOnLaunch"] for s in spec.private_subnet_ids)


def test_background_start_status_stop(tmp_path):
    port = localaws.free_port()
    cli = [sys.executable, "-m", "localaws"]
    state = ["--state-dir", str(tmp_path)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args, *state], cwd=ROOT, capture_output=True, text=True, timeout=90, check=False)

    try:
        started = run("start", "--port", str(port), "--env", str(LOCAL_ENV))
        assert started.returncode == 0, started.stderr
        assert f"http://127.0.0.1:{port}" in started.stdout
        again = run("start", "--port", str(port))
        assert again.returncode == 0 and again.stdout == started.stdout, "a second start reuses the running emulator"
        other = run("start", "--port", str(localaws.free_port()))
        assert other.returncode == 1 and "already running" in other.stderr
        assert run("status").returncode == 0
        vpcs = client_factory(f"http://127.0.0.1:{port}")("ec2").describe_vpcs(VpcIds=["vpc-12345678"])["Vpcs"]
        assert vpcs
    finally:
        stopped = run("stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert run("status").returncode == 3
    assert not localaws.is_answering(f"http://127.0.0.1:{port}", timeout=1)
