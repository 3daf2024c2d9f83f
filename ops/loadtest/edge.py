"""The edge's rate limit vs the kit: refuse a run the WAF would block, before it sends anything.

An environment with ``[site] waf`` blocks one address above ``site.waf_rate_limit_per_5min``
requests in 5 minutes, unless the address is in ``[loadtest] source_cidrs`` (until ``expires``).
A run that would go over the limit from an address that is not exempted measures the WAF, not the
API: :func:`check_rate_limit` refuses it and says what to change.
"""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import TYPE_CHECKING

from ops.loadtest.profiles import REQUESTS_PER_USER_SECOND, WAF_WINDOW_SECONDS, Profile, peak_requests_per_window
from ops.stack_outputs import OpsError

if TYPE_CHECKING:
    from environment.config import EnvironmentConfig


def exempted(config: EnvironmentConfig, source_ip: str | None, today: date | None = None) -> bool:
    """Is ``source_ip`` in the env's unexpired ``[loadtest] source_cidrs``? (Unknown address: no.)"""
    loadtest = config.loadtest
    if source_ip is None or not loadtest.source_cidrs or loadtest.expired(today):
        return False
    address = ipaddress.ip_address(source_ip)
    return any(address in ipaddress.ip_network(cidr) for cidr in loadtest.source_cidrs)


def check_rate_limit(config: EnvironmentConfig, profiles: list[Profile], source_ip: str | None, today: date | None = None) -> None:
    """Raise :class:`OpsError` when ``profiles`` would exceed the env's WAF rate limit from ``source_ip``."""
    if not config.site.waf:
        return
    limit = config.site.waf_rate_limit_per_5min
    peak, profile = peak_requests_per_window(profiles)
    if peak <= limit or exempted(config, source_ip, today):
        return
    max_users = int(limit / (REQUESTS_PER_USER_SECOND * WAF_WINDOW_SECONDS))
    where = config.source or f"envs/{config.name}.toml"
    address = source_ip or "this machine (its address is unknown: pass --source-ip)"
    expired = ""
    if config.loadtest.source_cidrs and config.loadtest.expired(today):
        expired = f" (its [loadtest] exemption expired on {config.loadtest.expires.isoformat()})"
    raise OpsError(
        f"profile '{profile.name}' would send about {peak} requests in 5 minutes from {address}{expired}, and the WAF of "
        f"{config.stack_name} blocks one address above {limit} (site.waf_rate_limit_per_5min): the run would measure the WAF, "
        f"not the API. Either lower every profile to at most {max_users} users (e.g. --profiles low=5,average={max_users // 2 or 1},"
        f"high={max_users}), or add the load generator's address to [loadtest] source_cidrs with an expires date in {where}, "
        "deploy, and run again with --source-ip <that address>"
    )
