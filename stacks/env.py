"""One environment of the application: the seed's architecture, configured by one env file."""

from __future__ import annotations

from dataclasses import dataclass

import jsii
from cdktf import Annotations, IResolveContext, IStringProducer, Lazy, TerraformOutput
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from backend.geoapi import envvars as ev
from environment.config import EnvironmentConfig
from environment.names import edge_log_bucket_name, frontend_publish_role_name, name_prefix, publish_target_parameter_name
from environment.outputs import check_exports
from modules.alarms import AlarmTargets, OperationsAlarms
from modules.api import ApiService, listener_port
from modules.auth0 import Auth0Application
from modules.cost import EnvironmentBudget
from modules.database import AuroraDatabase
from modules.dns import AliasName, CertificateName, EnvironmentDns
from modules.edge_logs import EdgeLogs
from modules.guardrails import DEFAULT_RULES, PRODUCTION_RULES, GuardRails
from modules.kms import EnvironmentKey
from modules.network import Network
from modules.providers import aws_provider, s3_state_backend
from modules.secrets import SecretRef, ServiceSecrets
from modules.site import FrontendPublishRole, StaticSite
from modules.waf import EdgeFirewall
from stacks.guarded import GuardedStack


@dataclass(frozen=True)
class DatabaseSecrets:
    """Who reads which database secret: the API the app user's, the loader task the loader's, the
    admin task the master's (and it writes the other two)."""

    app: SecretRef
    loader: ServiceSecrets
    admin: ServiceSecrets


@jsii.implements(IStringProducer)
class _SetLater:
    """A string a later construct provides: the API's ``PUBLIC_URL`` is the site's URL, and the
    site (its CloudFront origin is the API's load balancer, through its VPC origin) is built after the API."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.value: str | None = None

    def produce(self, context: IResolveContext) -> str:
        if self.value is None:
            raise ValueError(f"{self.what} was never set")
        return self.value


def _db_connection(database: AuroraDatabase) -> dict[str, str]:
    """Where the database is, for every task that connects to it (the API and the one-off tasks)."""
    return {ev.DB_HOST: database.endpoint, ev.DB_PORT: str(database.port), ev.DB_NAME: database.database_name}


class EnvironmentStack(GuardedStack):
    """Everything one environment runs on, with its own locked remote state.

    Composition only: each concern is a construct in ``modules/``; this class
    wires their outputs together and publishes the stack outputs that the
    operator commands in ``ops/`` read.
    """

    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig):
        super().__init__(scope, id_, guard_rails=GuardRails(DEFAULT_RULES + PRODUCTION_RULES if config.is_production else DEFAULT_RULES))
        self.config = config
        self._prefix = name_prefix(config)
        self._protect = config.is_production
        self._tags = config.tags.as_dict()
        aws_provider(self, config.aws, tags=self._tags)
        s3_state_backend(self, config.state, endpoint=config.aws.endpoint)

        key = EnvironmentKey(
            self, "key", name_prefix=self._prefix, region=config.aws.region, deletion_window_days=30 if self._protect else 7
        )
        network = self._network()
        database = self._database(network, key)
        secrets, db_secrets, exported_secrets = self._secrets(database, key)
        edge = self._edge_provider()
        dns = self._certificates(edge)
        wired = self._with_certificates(dns)
        public_url = _SetLater("the API's public URL (the site's /api)")
        api = self._api(wired, network, database, secrets, key, public_url)
        db_tasks = self._database_tasks(api, database, db_secrets)
        firewall = self._firewall(edge)
        logs = EdgeLogs(
            self,
            "edge-logs",
            bucket_name=edge_log_bucket_name(config),
            kms_key_arn=key.arn,
            retention_days=config.logs.retention_days,
            force_destroy=not self._protect,
        )
        if firewall is not None:
            logs.log_waf(firewall.arn, provider=edge)
        site = self._site(wired, api, key, firewall, logs)
        public_url.value = f"{site.site_url}/api"
        self._dns_names(dns, api, site)
        self._publish_role(site, key)
        if config.auth0.mode == "managed":
            auth0 = Auth0Application(self, "auth0", settings=config.auth0, app_name=self._prefix, site_url=site.site_url)
            secrets.put_value("auth0", auth0.secret_payload)
        self._operations(api, database, site, edge)
        self._outputs(
            {
                **self._site_outputs(site),
                **self._api_outputs(api, network),
                "db_endpoint": database.endpoint,
                **exported_secrets,
                **db_tasks,
                "kms_key_arn": key.arn,
                "dns_records": dns.records,
            }
        )

    # ---- network and data ------------------------------------------------------------------

    def _network(self) -> Network:
        api = self.config.api
        return Network(
            self,
            "network",
            settings=self.config.network,
            name_prefix=self._prefix,
            container_port=api.container_port,
            listener_port=listener_port(api),
        )

    def _database(self, network: Network, key: EnvironmentKey) -> AuroraDatabase:
        config = self.config
        return AuroraDatabase(
            self,
            "database",
            settings=config.database,
            name_prefix=self._prefix,
            subnet_ids=network.private_subnet_ids,
            security_group_id=network.database_sg.id,
            kms_key_arn=key.arn,
            deletion_protection=config.database.deletion_protection,
            final_snapshot=config.database.final_snapshot,
            log_retention_days=config.logs.retention_days,
            monitoring=config.database.monitoring,
        )

    def _secrets(self, database: AuroraDatabase, key: EnvironmentKey) -> tuple[ServiceSecrets, DatabaseSecrets, dict[str, str]]:
        """The secrets of the service, the loader and the admin task, and their ``*_secret_arn`` outputs.

        The service reads the application user's secret as ``DB_SECRET_ARN``, never the master's; the
        two users' secrets have no value until the admin task (``geoapi users ensure``) puts one."""

        def secrets_of(id_: str) -> ServiceSecrets:
            window = 30 if self._protect else 0
            return ServiceSecrets(self, id_, name_prefix=self._prefix, kms_key_arn=key.arn, recovery_window_days=window)

        secrets, loader, admin = secrets_of("secrets"), secrets_of("loader-secrets"), secrets_of("admin-secrets")
        app_user = secrets.declare(
            "db-app", env_var=ev.DB_SECRET_ARN, description="the API's database user (rows of the application schema only)"
        )
        auth0_secret = secrets.declare(
            "auth0",
            env_var=ev.AUTH0_SECRET_ARN,
            description="Auth0 settings the API verifies tokens with (domain, audience, client id)",
        )
        loader_user = loader.declare(
            "db-loader", env_var=ev.DB_SECRET_ARN, description="the migrate/seed task's database user (DDL on the application schema only)"
        )
        admin.reference(env_var=ev.DB_MASTER_SECRET_ARN, arn=database.master_secret_arn)
        admin.reference(env_var=ev.DB_APP_SECRET_ARN, arn=app_user.arn, writable=True)
        admin.reference(env_var=ev.DB_LOADER_SECRET_ARN, arn=loader_user.arn, writable=True)
        exported = {
            "db_secret_arn": database.master_secret_arn,
            "db_app_secret_arn": app_user.arn,
            "db_loader_secret_arn": loader_user.arn,
            "auth0_secret_arn": auth0_secret.arn,
        }
        return secrets, DatabaseSecrets(app=app_user, loader=loader, admin=admin), exported

    def _database_tasks(self, api: ApiService, database: AuroraDatabase, secrets: DatabaseSecrets) -> dict[str, str]:
        """The admin task (makes and rotates the users) and the loader task (migrate, seed)."""
        config = self.config
        environment = {ev.AWS_REGION: config.aws.region, ev.LOG_LEVEL: config.api.log_level, **_db_connection(database)}
        admin = api.one_off(
            "db-admin", secrets=secrets.admin, environment=environment, command=["python", "-m", "geoapi", "users", "ensure"]
        )
        seed_reads = []
        if config.database.seed_source:
            bucket, _, key = config.database.seed_source.removeprefix("s3://").partition("/")
            seed_reads.append(
                {"Sid": "ReadSeedData", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/{key}*"}
            )
        loader = api.one_off(
            "db-loader",
            secrets=secrets.loader,
            environment=environment,
            command=["python", "-m", "geoapi", "migrate"],
            statements=seed_reads,
        )
        return {
            "db_admin_task_definition_family": admin.task_definition.family,
            "db_loader_task_definition_family": loader.task_definition.family,
        }

    # ---- API -------------------------------------------------------------------------------

    def _api(
        self,
        config: EnvironmentConfig,
        network: Network,
        database: AuroraDatabase,
        secrets: ServiceSecrets,
        key: EnvironmentKey,
        public_url: _SetLater,
    ) -> ApiService:
        return ApiService(
            self,
            "api",
            settings=config.api,
            name_prefix=self._prefix,
            network=network,
            secrets=secrets,
            kms_key_arn=key.arn,
            region=config.aws.region,
            environment={**_db_connection(database), ev.PUBLIC_URL: Lazy.string_value(public_url)},
            protect=self._protect,
        )

    def _api_origin(self, api: ApiService) -> str:
        """The name CloudFront sends to the API (Host, TLS SNI) through the VPC origin: the origin TLS
        domain, else the internal NLB's DNS name."""
        tls = self.config.api.origin_tls
        return tls.domain if tls else api.load_balancer.dns_name

    # ---- site ------------------------------------------------------------------------------

    def _edge_provider(self) -> AwsProvider | None:
        """A us-east-1 provider for what must live there (CloudFront's WAF, its alarm and topic)."""
        config = self.config
        if not (config.site.waf or config.alarms.enabled or (config.dns.hosted_zone_id and config.site.cname)):
            return None
        return aws_provider(self, config.aws.model_copy(update={"region": "us-east-1"}), tags=self._tags, id_="aws-edge", alias="edge")

    def _firewall(self, edge: AwsProvider | None) -> EdgeFirewall | None:
        config = self.config
        if not config.site.waf:
            return None
        loadtest = config.loadtest
        if loadtest.expired():
            Annotations.of(self).add_warning(
                f"{config.source}: loadtest.expires {loadtest.expires.isoformat()} has passed, yet the WAF rate rule still exempts "
                f"{', '.join(loadtest.source_cidrs)}: remove [loadtest] source_cidrs (or move expires) and deploy"
            )
        return EdgeFirewall(
            self,
            "waf",
            name_prefix=self._prefix,
            provider=edge,
            rate_limit_per_5min=config.site.waf_rate_limit_per_5min,
            rate_limit_exempt_cidrs=loadtest.source_cidrs,
        )

    def _site(
        self, config: EnvironmentConfig, api: ApiService, key: EnvironmentKey, firewall: EdgeFirewall | None, logs: EdgeLogs
    ) -> StaticSite:
        prefix, protect = self._prefix, self._protect
        return StaticSite(
            self,
            "site",
            name_prefix=prefix,
            assets_prefix=config.frontend.assets_prefix,
            api_origin_domain=self._api_origin(api),
            api_vpc_origin_id=api.vpc_origin.id,
            site=config.site,
            kms_key_arn=key.arn,
            auth_origin=f"https://{config.auth0.domain}",
            force_destroy=not protect,
            spa_fallback=config.frontend.spa_fallback,
            web_acl_arn=firewall.arn if firewall else None,
            access_logs=logs.cloudfront_logging,
        )

    def _publish_role(self, site: StaticSite, key: EnvironmentKey) -> FrontendPublishRole | None:
        """``geoapp-frontend-publish-<env>`` for the principal ``[publish] jenkins_principal_arn`` names (none without it)."""
        config = self.config
        if config.publish.jenkins_principal_arn is None:
            return None
        return FrontendPublishRole(
            self,
            "frontend-publish",
            role_name=frontend_publish_role_name(config.name),
            principal_arn=config.publish.jenkins_principal_arn,
            bucket_arn=site.bucket.arn,
            bucket_name=site.bucket.bucket,
            assets_prefix=config.frontend.assets_prefix,
            distribution_arn=site.distribution_arn,
            distribution_id=site.distribution.id,
            kms_key_arn=key.arn,
            parameter_name=publish_target_parameter_name(config),
            region=config.aws.region,
        )

    # ---- DNS and certificates --------------------------------------------------------------

    def _certificates(self, edge: AwsProvider | None) -> EnvironmentDns:
        """With ``[dns] hosted_zone_id`` the stack issues and validates the site's (us-east-1) and the
        API origin's (regional) certificates; without, the env file's certificates are used."""
        config = self.config
        zone, tls = config.dns.hosted_zone_id, config.api.origin_tls
        wanted = []
        if config.site.cname:
            wanted.append(CertificateName("site", config.site.cname, arn=None if zone else config.site.certificate_arn, provider=edge))
        if tls:
            wanted.append(CertificateName("api-origin", tls.domain, arn=None if zone else tls.certificate_arn))
        if zone and (config.site.certificate_arn or (tls and tls.certificate_arn)):
            Annotations.of(self).add_warning(
                f"{config.source}: [dns] hosted_zone_id is set: the stack issues and validates the certificates of "
                f"{', '.join(c.domain for c in wanted)}; site.certificate_arn / api.origin_tls.certificate_arn are not used"
            )
        return EnvironmentDns(self, "dns", hosted_zone_id=zone, certificates=wanted)

    def _with_certificates(self, dns: EnvironmentDns) -> EnvironmentConfig:
        """The env file with the certificates :meth:`_certificates` chose (the file's own, or issued ones)."""
        config, arns = self.config, dns.certificate_arns
        update = {}
        if "site" in arns:
            update["site"] = config.site.model_copy(update={"certificate_arn": arns["site"]})
        if "api-origin" in arns:
            tls = config.api.origin_tls.model_copy(update={"certificate_arn": arns["api-origin"]})
            update["api"] = config.api.model_copy(update={"origin_tls": tls})
        return config.model_copy(update=update)

    def _dns_names(self, dns: EnvironmentDns, api: ApiService, site: StaticSite) -> None:
        """The site's name to CloudFront, the API origin's name to the load balancer."""
        config, tls = self.config, self.config.api.origin_tls
        if config.site.cname:
            dns.point(AliasName("site", config.site.cname, site.distribution.domain_name, site.distribution.hosted_zone_id))
        if tls:
            dns.point(AliasName("api-origin", tls.domain, api.load_balancer.dns_name, api.load_balancer.zone_id))

    # ---- operations ------------------------------------------------------------------------

    def _operations(self, api: ApiService, database: AuroraDatabase, site: StaticSite, edge: AwsProvider | None) -> None:
        """The alarms (``[alarms]``) and the monthly budget (``[cost]``)."""
        config, prefix = self.config, self._prefix
        if config.alarms.enabled:
            OperationsAlarms(
                self,
                "alarms",
                name_prefix=prefix,
                settings=config.alarms,
                emails=config.alarm_emails,
                targets=AlarmTargets(
                    load_balancer_arn_suffix=api.load_balancer.arn_suffix,
                    target_group_arn_suffix=api.target_group.arn_suffix,
                    ecs_cluster_name=api.cluster.name,
                    ecs_service_name=api.service.name,
                    ecs_service_arn=api.service.id,
                    api_log_group_name=api.log_group.name,
                    db_cluster_identifier=database.cluster.cluster_identifier,
                    db_max_capacity_acu=config.database.max_capacity_acu,
                    distribution_id=site.distribution.id,
                ),
                edge_provider=edge,
            )
        EnvironmentBudget(
            self,
            "budget",
            name=f"{prefix}-monthly",
            environment_tag=config.tags.Environment,
            monthly_limit_usd=config.cost.monthly_budget_usd,
            alert_emails=list(config.cost.alert_emails),
        )

    # ---- outputs (the contract in environment/outputs.py) ----------------------------------

    def _site_outputs(self, site: StaticSite) -> dict:
        return {
            "site_url": site.site_url,
            "cloudfront_distribution_id": site.distribution.id,
            "assets_bucket": site.bucket.bucket,
            "assets_prefix": self.config.frontend.assets_prefix,
        }

    def _api_outputs(self, api: ApiService, network: Network) -> dict:
        return {
            "ecr_repository_url": api.repository.repository_url,
            "ecs_cluster_name": api.cluster.name,
            "ecs_service_name": api.service.name,
            "task_definition_family": api.task_definition.family,
            "task_subnet_ids": network.private_subnet_ids,
            "task_security_group_id": network.task_sg.id,
            "api_origin": self._api_origin(api),
            "api_load_balancer_dns": api.load_balancer.dns_name,
        }

    def _outputs(self, outputs: dict) -> None:
        """Exactly the contract's outputs (``check_exports`` fails the synth otherwise)."""
        check_exports(outputs.keys())
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value)
