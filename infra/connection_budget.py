"""Do the functions' connections fit the database? Checked at synth time, refused with numbers.

Every Lambda execution environment holds at most `pool_size + max_overflow` connections to the
writer (1 + 0: the app's defaults on Lambda, `courtside.settings.DatabaseSettings`), and, when
the environment has readers, as many to the reader endpoint if its service serves public reads
(`courtside.read_replica`). Reserved concurrency bounds the environments, so:

    writer demand = sum over functions of reserved x (pool + overflow) + OVERHEAD
    reader demand = sum over public-read functions of reserved x (pool + overflow) / readers
                    (Aurora's reader endpoint spreads connections over the readers) + OVERHEAD
                    or, with RDS read replicas, not divided: each process picks one replica
                    at random and nothing bounds how many pick the same one

and each must stay within `HEADROOM` of the server's `max_connections` (where the
ConnectionsHigh alarm fires). `max_connections` is RDS's default, LEAST(memory / 9531392, 5000),
from the instance class's memory, or for Aurora Serverless v2 from the maximum ACU (2 GiB each:
Aurora sizes it for the ceiling, not the current capacity). A function without a reserve has no
bound: it is listed, not counted, and refused in prod (`EnvironmentConfig`).

When the demand does not fit, the way out is a bigger class or ACU ceiling, fewer reserved
environments, or RDS Proxy in front (not built: see database/infrastructure.py for why, and
docs/capacity.md for where each configuration stops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LAMBDA_POOL_SIZE = 1
LAMBDA_MAX_OVERFLOW = 0
"""The app's pool on Lambda (`DatabaseSettings`: one request at a time per environment);
tests/infra/test_connection_budget.py keeps these equal to the settings' own defaults."""
CONNECTIONS_PER_ENVIRONMENT = LAMBDA_POOL_SIZE + LAMBDA_MAX_OVERFLOW
HEADROOM = 0.8
"""Demand may use at most this share of max_connections (the ConnectionsHigh alarm's line)."""
OVERHEAD = 3 + 2 + 1 + 2
"""Connections that are not the functions': superuser_reserved_connections (3), RDS's own
reserved ones (2), the migrator during a deploy (1), the rotation functions (2)."""
BYTES_PER_CONNECTION = 9_531_392
ACU_MEMORY_GIB = 2.0


def max_connections_for_memory(memory_gib: float) -> int:
    """RDS's and Aurora's default `max_connections`: LEAST(memory / 9531392, 5000)."""
    return min(int(memory_gib * 1024**3 / BYTES_PER_CONNECTION), 5000)


def max_connections_for_acu(max_acu: float) -> int:
    """Aurora Serverless v2 sizes `max_connections` for its maximum capacity."""
    return max_connections_for_memory(max_acu * ACU_MEMORY_GIB)


@dataclass(frozen=True, kw_only=True)
class FunctionDemand:
    name: str
    reserved: int | None
    """None: no reserve (no bound)."""
    reads_replica: bool


@dataclass(frozen=True, kw_only=True)
class Budget:
    """The demand on one kind of server (the writer, or each reader) and what it may use."""

    server: str
    demand: int
    max_connections: int
    parts: tuple[str, ...]

    @property
    def allowed(self) -> int:
        return int(self.max_connections * HEADROOM)

    @property
    def fits(self) -> bool:
        return self.demand <= self.allowed

    def explain(self) -> str:
        return (
            f"{self.server}: {' + '.join(self.parts)} = {self.demand} connections, where "
            f"{int(HEADROOM * 100)}% of max_connections {self.max_connections} allows "
            f"{self.allowed}"
        )


def budgets(
    functions: tuple[FunctionDemand, ...],
    *,
    readers: int,
    max_connections: int,
    server: str,
    spread: bool = True,
) -> tuple[Budget, ...]:
    """The writer's budget, and each reader's when there are readers (`spread`: an endpoint
    spreads the connections over the readers, else any one reader may get them all)."""
    bounded = [f for f in functions if f.reserved is not None]
    writer_parts = [f"{f.name} {f.reserved} x {CONNECTIONS_PER_ENVIRONMENT}" for f in bounded] + [
        f"overhead {OVERHEAD}"
    ]
    writer = Budget(
        server=f"writer ({server})",
        demand=sum((f.reserved or 0) * CONNECTIONS_PER_ENVIRONMENT for f in bounded) + OVERHEAD,
        max_connections=max_connections,
        parts=tuple(writer_parts),
    )
    if readers == 0:
        return (writer,)
    readers_of = [f for f in bounded if f.reads_replica]
    total = sum((f.reserved or 0) * CONNECTIONS_PER_ENVIRONMENT for f in readers_of)
    share = readers if spread else 1
    reader = Budget(
        server=f"each of {readers} reader(s) ({server})",
        demand=math.ceil(total / share) + OVERHEAD,
        max_connections=max_connections,
        parts=(
            f"({' + '.join(_term(f) for f in readers_of) or '0'}) / {share}",
            f"overhead {OVERHEAD}",
        ),
    )
    return (writer, reader)


def _term(function: FunctionDemand) -> str:
    return f"{function.name} {function.reserved} x {CONNECTIONS_PER_ENVIRONMENT}"


def refusal(over: tuple[Budget, ...]) -> str:
    """Why a configuration is refused, with the numbers and the ways out."""
    return (
        "the functions' connections do not fit the database: "
        + "; ".join(b.explain() for b in over)
        + ". Raise db_instance_class or db_max_acu, lower reserved_concurrency, or put RDS "
        "Proxy in front (not built here: docs/capacity.md)"
    )
