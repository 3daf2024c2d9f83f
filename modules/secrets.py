"""Secrets Manager wiring: declare a secret once, get the secret, the grant and the env var.

The container never receives a secret value from the task definition: it gets
the secret's ARN in an environment variable and reads the value itself at start
(``backend/geoapi`` does). This construct is the one place that decides:

* which secrets the API may read (``arns``: exact ARNs, no wildcards);
* how they are encrypted (the environment's customer-managed key);
* which environment variable carries each ARN (``environment``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct


@dataclass(frozen=True)
class SecretRef:
    """A secret the API reads: its ARN and the env var that carries it."""

    env_var: str
    arn: str
    #: the service may also put new values (the admin task, for the database users' secrets)
    writable: bool = False


class ServiceSecrets(Construct):
    """The secrets one service reads, declared once each.

    Args:
        name_prefix: prefix of secret names (``<name_prefix>/<name>``).
        kms_key_arn: the environment's customer-managed key.
        recovery_window_days: how long a deleted secret can be restored; 0
            deletes at once (for throw-away environments). Default: 30.
    """

    def __init__(self, scope: Construct, id_: str, *, name_prefix: str, kms_key_arn: str, recovery_window_days: int = 30):
        super().__init__(scope, id_)
        self._name_prefix = name_prefix
        self._kms_key_arn = kms_key_arn
        self._recovery_window_days = recovery_window_days
        self._secrets: dict[str, SecretsmanagerSecret] = {}
        self._read = False
        self.refs: list[SecretRef] = []

    def declare(self, name: str, *, env_var: str, description: str) -> SecretRef:
        """Create a secret the service reads. It has no value until one is put:
        by an operator (docs/runbooks/auth0-external.md), so the value never
        passes through Terraform, or by ``put_value``.
        """
        secret = SecretsmanagerSecret(
            self,
            name,
            name=f"{self._name_prefix}/{name}",
            description=description,
            kms_key_id=self._kms_key_arn,
            recovery_window_in_days=self._recovery_window_days,
        )
        self._secrets[name] = secret
        return self.reference(env_var=env_var, arn=secret.arn)

    def put_value(self, name: str, value_json: str) -> None:
        """Give a declared secret a value computed by the stack.

        For values that are not secret at plan time only (e.g. an Auth0 SPA's
        public client id), because the value is kept in the Terraform state.
        """
        SecretsmanagerSecretVersion(self, f"{name}-value", secret_id=self._secrets[name].id, secret_string=value_json)

    def reference(self, *, env_var: str, arn: str, writable: bool = False) -> SecretRef:
        """Grant the service a secret created elsewhere (e.g. RDS's managed master secret, or another
        service's secret it writes: ``writable=True``)."""
        if self._read:
            raise RuntimeError(f"secret {env_var} declared after the service read its secrets: declare every secret first")
        if any(ref.env_var == env_var for ref in self.refs):
            raise ValueError(f"secret env var {env_var} is declared twice")
        ref = SecretRef(env_var=env_var, arn=arn, writable=writable)
        self.refs.append(ref)
        return ref

    @property
    def arns(self) -> list[str]:
        return [ref.arn for ref in self.refs]

    @property
    def environment(self) -> list[dict[str, str]]:
        """Container environment entries: each secret's ARN, never its value."""
        self._read = True
        return [{"name": ref.env_var, "value": ref.arn} for ref in self.refs]

    def read_statements(self) -> list[dict]:
        """IAM statements that read exactly these secrets and decrypt them through Secrets Manager;
        for writable ones, also put new values (and encrypt them through Secrets Manager)."""
        self._read = True
        writable = [ref.arn for ref in self.refs if ref.writable]
        writes = [
            {"Sid": "WriteOwnSecrets", "Effect": "Allow", "Action": "secretsmanager:PutSecretValue", "Resource": writable},
            {
                "Sid": "EncryptOwnSecrets",
                "Effect": "Allow",
                "Action": "kms:GenerateDataKey",
                "Resource": self._kms_key_arn,
                "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
            },
        ]
        return (writes if writable else []) + [
            {
                "Sid": "ReadOwnSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": self.arns,
            },
            {
                "Sid": "DecryptOwnSecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": self._kms_key_arn,
                "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
            },
        ]
