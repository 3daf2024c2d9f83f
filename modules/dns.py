"""The DNS names of an environment: the site and API origin names, and ACM DNS validation.

With a Route 53 hosted zone the records are created (aliases, and the validation records of
the certificates this construct issues); without one, ``records`` lists each record to create by
hand (name, type, value), which the env stack exports as the ``dns_records`` output.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from constructs import Construct


@dataclass(frozen=True)
class AliasName:
    """A name that points at an AWS endpoint: an alias record in a zone, a CNAME by hand.

    Attributes:
        id_: construct id of the record (``site``, ``api-origin``).
        name: the DNS name, e.g. ``geoapp.example.com``.
        target_dns: the endpoint's DNS name (CloudFront domain, NLB DNS name); may be a reference.
        target_zone_id: the endpoint's own hosted zone id (for the alias); may be a reference.
    """

    id_: str
    name: str
    target_dns: str
    target_zone_id: str


@dataclass(frozen=True)
class CertificateName:
    """A certificate for ``domain``: the given ``arn`` is used as is (validated by its owner);
    without one, this construct issues it (ACM, DNS validation) through ``provider``.

    Attributes:
        id_: construct id (``site``, ``api-origin``).
        domain: the name the certificate is for.
        arn: an existing certificate. Default: none (issue one).
        provider: where the certificate lives (us-east-1 for CloudFront). Default: the stack's.
    """

    id_: str
    domain: str
    arn: str | None = None
    provider: TerraformProvider | None = None


class EnvironmentDns(Construct):
    """Certificates and alias records of one environment.

    The certificates come first (CloudFront and the load balancer use them), the aliases once
    their targets exist: call :meth:`point` for each.

    Args:
        hosted_zone_id: the Route 53 zone the names live in (``[dns] hosted_zone_id``). Default:
            none: nothing is created in DNS, ``records`` says what to create.
        certificates: certificates the names need.

    Attributes:
        records: every record the environment needs, as ``{"name", "type", "value"}`` (values may
            be references): created in the zone when there is one.
        certificate_arns: certificate id -> ARN to use (with a zone, the validated ARN of an
            issued certificate, so that users of it wait for the validation).
        issued: certificate id -> the ``AcmCertificate`` this construct issued.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        hosted_zone_id: str | None,
        certificates: list[CertificateName],
    ):
        super().__init__(scope, id_)
        self._zone = hosted_zone_id
        self.records: list[dict[str, str]] = []
        self.certificate_arns: dict[str, str] = {}
        self.issued: dict[str, AcmCertificate] = {}
        for certificate in certificates:
            self.certificate_arns[certificate.id_] = certificate.arn or self._issue(certificate)

    def point(self, alias: AliasName) -> None:
        """An A alias in the zone; by hand, a CNAME (an alias is Route 53 only)."""
        if self._zone is None:
            self.records.append({"name": alias.name, "type": "CNAME", "value": alias.target_dns})
            return
        Route53Record(
            self,
            f"{alias.id_}-alias",
            zone_id=self._zone,
            name=alias.name,
            type="A",
            alias=Route53RecordAlias(name=alias.target_dns, zone_id=alias.target_zone_id, evaluate_target_health=False),
        )
        self.records.append({"name": alias.name, "type": "A (alias)", "value": alias.target_dns})

    def _issue(self, certificate: CertificateName) -> str:
        """An ACM certificate validated by DNS: the record in the zone and the wait, or the record to create."""
        issued = AcmCertificate(
            self,
            f"{certificate.id_}-certificate",
            provider=certificate.provider,
            domain_name=certificate.domain,
            validation_method="DNS",
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        self.issued[certificate.id_] = issued
        option = issued.domain_validation_options.get(0)  # one name per certificate, so one record
        record = {"name": option.resource_record_name, "type": option.resource_record_type, "value": option.resource_record_value}
        self.records.append(record)
        if self._zone is None:
            return issued.arn
        validation_record = Route53Record(
            self,
            f"{certificate.id_}-validation",
            zone_id=self._zone,
            name=record["name"],
            type=record["type"],
            records=[record["value"]],
            ttl=300,
            allow_overwrite=True,
        )
        validation = AcmCertificateValidation(
            self,
            f"{certificate.id_}-validated",
            provider=certificate.provider,
            certificate_arn=issued.arn,
            validation_record_fqdns=[validation_record.fqdn],
        )
        return validation.certificate_arn
