"""CloudFront distributions read back as they were written (no drift on the next plan)."""

from __future__ import annotations

from typing import Any

from moto.cloudfront import models as cloudfront_models

from ._patch import Patches

GAP = (
    "moto 5.2.5, CloudFront GetDistribution: (1) an origin's OriginAccessControlId is "
    "dropped and S3OriginConfig is not returned; (2) every cache behaviour returns a "
    "ForwardedValues block even when it uses a cache policy (AWS omits it then); "
    "(3) ViewerCertificate returns SSLSupportMethod 'sni-only' for the default CloudFront "
    "certificate, where none was set. Each shows up as permanent drift in "
    "aws_cloudfront_distribution (origin_access_control_id, s3_origin_config, "
    "forwarded_values, ssl_support_method)."
)


def patches() -> Patches:
    """Wrap the ``__init__`` of moto's Origin, DefaultCacheBehaviour and ViewerCertificate."""
    origin_cls = cloudfront_models.Origin
    origin_init = origin_cls.__init__

    def origin_init_shim(self: Any, origin: dict[str, Any]) -> None:
        origin_init(self, origin)
        # The response serializer reads API members as snake_case attributes.
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""
        if "S3OriginConfig" in origin:
            s3_config = dict(origin["S3OriginConfig"] or {})
            s3_config.setdefault("OriginAccessIdentity", "")
            self.s3_origin_config = s3_config

    behaviour_cls = cloudfront_models.DefaultCacheBehaviour  # CacheBehaviour inherits it
    behaviour_init = behaviour_cls.__init__

    def behaviour_init_shim(self: Any, config: dict[str, Any]) -> None:
        behaviour_init(self, config)
        if "ForwardedValues" not in config:
            self.forwarded_values = None  # legacy cache settings only when sent

    certificate_cls = cloudfront_models.ViewerCertificate
    certificate_init = certificate_cls.__init__

    def certificate_init_shim(self: Any, config: dict[str, Any]) -> None:
        certificate_init(self, config)
        if not config.get("SSLSupportMethod") and self.cloud_front_default_certificate:
            self.ssl_support_method = None

    return {
        origin_cls: {"__init__": origin_init_shim},
        behaviour_cls: {"__init__": behaviour_init_shim},
        certificate_cls: {"__init__": certificate_init_shim},
    }
