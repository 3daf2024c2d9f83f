"""The load balancer: a TCP proxy standing in for the NLB target group (hand-written, asyncio).

No well-kept Python package is a health-checking TCP load balancer that can be driven
in-process (HAProxy would be, but it is another Debian daemon to configure); this is a
small asyncio stream proxy: round robin over the *healthy* targets, HTTP or TCP health
checks with the target group's interval, timeout, thresholds, path and matcher, as the
NLB documents them. A target starts ``initial`` and receives traffic once it has passed
``healthy_threshold`` checks in a row; ``unhealthy_threshold`` failures take it out.
Deregistration (a task stopped) takes it out at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass, field

from .readback import HealthCheckSpec

log = logging.getLogger(__name__)


@dataclass
class Target:
    address: str
    port: int
    state: str = "initial"  # initial | healthy | unhealthy | draining
    passes: int = 0
    failures: int = 0
    connections: int = 0
    registered_at: float = field(default_factory=time.time)

    @property
    def key(self) -> str:
        return f"{self.address}:{self.port}"


def _matches(status: int, matcher: str) -> bool:
    for part in matcher.split(","):
        low, _, high = part.strip().partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


class Balancer:
    def __init__(self, health: HealthCheckSpec, host: str, port: int) -> None:
        self.health = health
        self.host, self.port = host, port
        self.targets: dict[str, Target] = {}
        self._rr = itertools.count()
        self._checks: dict[str, asyncio.Task] = {}
        self._server: asyncio.AbstractServer | None = None

    # ---- registration -------------------------------------------------------
    def register(self, address: str, port: int) -> Target:
        target = Target(address, port)
        self.targets[target.key] = target
        self._checks[target.key] = asyncio.get_running_loop().create_task(self._check_loop(target))
        log.info("target %s registered (initial)", target.key)
        return target

    def deregister(self, key: str) -> None:
        target = self.targets.pop(key, None)
        check = self._checks.pop(key, None)
        if check is not None:
            check.cancel()
        if target is not None:
            log.info("target %s deregistered", key)

    def healthy(self) -> list[Target]:
        return [t for t in self.targets.values() if t.state == "healthy"]

    # ---- health checks ------------------------------------------------------
    async def _probe(self, target: Target) -> bool:
        port = target.port if self.health.port == "traffic-port" else int(self.health.port)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(target.address, port), self.health.timeout)
        except (TimeoutError, OSError):
            return False
        try:
            if self.health.protocol.upper() == "TCP":
                return True
            request = f"GET {self.health.path} HTTP/1.1\r\nHost: {target.address}:{port}\r\nUser-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), self.health.timeout)
            parts = line.decode("latin-1").split()
            return len(parts) >= 2 and parts[1].isdigit() and _matches(int(parts[1]), self.health.matcher)
        except (TimeoutError, OSError, ValueError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _check_loop(self, target: Target) -> None:
        while True:
            ok = await self._probe(target)
            if ok:
                target.passes, target.failures = target.passes + 1, 0
                if target.state != "healthy" and target.passes >= self.health.healthy_threshold:
                    target.state = "healthy"
                    log.info("target %s healthy", target.key)
            else:
                target.failures, target.passes = target.failures + 1, 0
                if target.state != "unhealthy" and target.failures >= self.health.unhealthy_threshold:
                    target.state = "unhealthy"
                    log.warning("target %s unhealthy (%d failed checks)", target.key, target.failures)
            await asyncio.sleep(self.health.interval)

    # ---- proxy ----------------------------------------------------------------
    def _pick(self) -> Target | None:
        healthy = self.healthy()
        if not healthy:
            return None
        return healthy[next(self._rr) % len(healthy)]

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        target = self._pick()
        if target is None:
            client_writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(target.address, target.port)
        except OSError:
            client_writer.close()
            return
        target.connections += 1
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)

    async def close(self) -> None:
        for key in list(self.targets):
            self.deregister(key)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def status(self) -> list[dict]:
        return [
            {"target": t.key, "state": t.state, "connections": t.connections, "passes": t.passes, "failures": t.failures}
            for t in self.targets.values()
        ]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()
        writer.close()
