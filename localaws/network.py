"""The "existing" network of an emulated environment, created with the ids its env file names.

The stacks never create a VPC: they look up the one named in ``[network]`` of the env file
(as the seed reuses an existing VPC). On the emulator nothing exists yet, so the harness
plays the role of "existing": it creates that VPC and those subnets, with exactly those ids,
before the first deploy. moto has no way to choose EC2 ids through its API, so this runs
in-process against moto's EC2 backend.

Layout (documented defaults): VPC ``10.42.0.0/16``; subnet *i* (public first, then
private) ``10.42.<i>.0/24``; subnets alternate between the region's zones ``a`` and ``b``
per group, so each group spans two AZs (Aurora needs two). Public subnets map public IPs on
launch and route to an internet gateway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

VPC_CIDR = "10.42.0.0/16"
ZONE_SUFFIXES = ("a", "b")


@dataclass(frozen=True)
class NetworkSpec:
    """Ids to create (from an env file's ``[network]``), and where."""

    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    region: str
    account_id: str

    @classmethod
    def from_env_file(cls, path: Path) -> NetworkSpec:
        """Read ``[network]`` and ``[aws]`` from an env file (validated by environment.config)."""
        from environment.config import load_environment

        config = load_environment(path)
        return cls(
            vpc_id=config.network.vpc_id,
            public_subnet_ids=tuple(config.network.public_subnet_ids),
            private_subnet_ids=tuple(config.network.private_subnet_ids),
            region=config.aws.region,
            account_id=config.aws.account_id,
        )


def _zones(region: str, count: int) -> Sequence[str]:
    return [f"{region}{ZONE_SUFFIXES[i % len(ZONE_SUFFIXES)]}" for i in range(count)]


def provision(spec: NetworkSpec) -> list[str]:
    """Create the VPC and subnets of ``spec`` in this process's moto; return the ids created.

    Idempotent: ids that already exist are left alone.
    """
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[spec.account_id][spec.region]
    created: list[str] = []
    if spec.vpc_id not in ec2.vpcs:
        with mock.patch("moto.ec2.models.vpcs.random_vpc_id", return_value=spec.vpc_id):
            ec2.create_vpc(VPC_CIDR, tags=[{"Key": "Name", "Value": "existing-vpc"}])
        # as on a typical real VPC; without it moto cannot give a one-off task's network
        # interface a DNS name and RunTask fails (make data-load)
        ec2.modify_vpc_attribute(spec.vpc_id, "enable_dns_hostnames", True)
        created.append(spec.vpc_id)
    vpc = ec2.get_vpc(spec.vpc_id)
    existing = {subnet.id for zone in ec2.subnets.values() for subnet in zone.values()}
    groups = (("public", spec.public_subnet_ids), ("private", spec.private_subnet_ids))
    index = 0
    public_table = None
    if spec.public_subnet_ids and spec.vpc_id in created:
        igw = ec2.create_internet_gateway(tags=[{"Key": "Name", "Value": "existing-igw"}])
        ec2.attach_internet_gateway(igw.id, vpc.id)
        public_table = ec2.create_route_table(vpc.id, tags=[{"Key": "Name", "Value": "existing-public"}])
        ec2.create_route(public_table.id, "0.0.0.0/0", gateway_id=igw.id)
    for kind, ids in groups:
        for subnet_id, zone in zip(ids, _zones(spec.region, len(ids)), strict=True):
            index += 1
            if subnet_id in existing:
                continue
            with mock.patch("moto.ec2.models.subnets.random_subnet_id", return_value=subnet_id):
                ec2.create_subnet(
                    vpc_id=vpc.id,
                    cidr_block=f"10.42.{index}.0/24",
                    availability_zone=zone,
                    tags={"subnet": {"Name": f"existing-{kind}-{zone}", "Tier": kind}},
                )
            if kind == "public":
                ec2.modify_subnet_attribute(subnet_id, "map_public_ip_on_launch", True)
                if public_table is not None:
                    ec2.associate_route_table(public_table.id, subnet_id=subnet_id)
            created.append(subnet_id)
    return created
