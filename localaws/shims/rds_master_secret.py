"""The RDS-managed master secret holds the cluster's master user and a generated password."""

from __future__ import annotations

import json
import secrets
from typing import Any

from moto.rds import models as rds_models

from ._patch import Patches

GAP = (
    "moto 5.2.5: with manage_master_user_password, the secret RDS creates holds "
    '{"username": "admin", "password": "P@55w0rd!"} whatever the master username is. AWS '
    "puts the cluster's master username and a generated password there. The API reads its "
    "user from that secret, so with moto's value it logs in as a user the database does not have."
)


def patches() -> Patches:
    """Replace ``MasterUserSecret._generate_secret_string``: the resource's master user, a random password."""

    def _generate_secret_string(self: Any) -> str:
        username = getattr(self.resource, "master_username", None) or "admin"
        return json.dumps({"username": username, "password": secrets.token_urlsafe(24)})

    return {rds_models.MasterUserSecret: {"_generate_secret_string": _generate_secret_string}}
