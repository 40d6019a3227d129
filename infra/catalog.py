"""The instance classes this project may use: their size and on-demand list price.

One table for three jobs: the config refuses a class that is not here (so the alarms and the cost
estimate never guess), the database alarms derive ``max_connections`` and the low-memory line
from the memory, and ``scripts/cost_estimate.py`` prices the synthesized templates.

Prices: eu-west-1 (Ireland) on-demand list prices in USD, early 2026, rounded; single-AZ per hour
(RDS Multi-AZ bills the instance and its storage twice). Check the AWS Pricing Calculator before
committing money; add a class here (memory, vCPUs, price) before using it in cdk.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PRICES_AS_OF: Final = "eu-west-1 on-demand list prices, early 2026"


@dataclass(frozen=True, kw_only=True)
class InstanceClass:
    memory_gib: float
    vcpus: int
    usd_per_hour: float


RDS_POSTGRES: Final[dict[str, InstanceClass]] = {
    "t4g.micro": InstanceClass(memory_gib=1, vcpus=2, usd_per_hour=0.018),
    "t4g.small": InstanceClass(memory_gib=2, vcpus=2, usd_per_hour=0.036),
    "t4g.medium": InstanceClass(memory_gib=4, vcpus=2, usd_per_hour=0.072),
    "t4g.large": InstanceClass(memory_gib=8, vcpus=2, usd_per_hour=0.144),
    "m7g.large": InstanceClass(memory_gib=8, vcpus=2, usd_per_hour=0.183),
    "m7g.xlarge": InstanceClass(memory_gib=16, vcpus=4, usd_per_hour=0.366),
    "m7g.2xlarge": InstanceClass(memory_gib=32, vcpus=8, usd_per_hour=0.732),
    "r7g.large": InstanceClass(memory_gib=16, vcpus=2, usd_per_hour=0.262),
    "r7g.xlarge": InstanceClass(memory_gib=32, vcpus=4, usd_per_hour=0.524),
}
"""RDS for PostgreSQL classes, keyed without the ``db.`` prefix (as in cdk.json)."""

ELASTICACHE_VALKEY: Final[dict[str, InstanceClass]] = {
    "cache.t4g.micro": InstanceClass(memory_gib=0.5, vcpus=2, usd_per_hour=0.0137),
    "cache.t4g.small": InstanceClass(memory_gib=1.37, vcpus=2, usd_per_hour=0.0288),
    "cache.t4g.medium": InstanceClass(memory_gib=3.09, vcpus=2, usd_per_hour=0.0576),
    "cache.m7g.large": InstanceClass(memory_gib=6.38, vcpus=2, usd_per_hour=0.1296),
    "cache.r7g.large": InstanceClass(memory_gib=13.07, vcpus=2, usd_per_hour=0.1752),
}
"""ElastiCache for Valkey node types (Valkey is billed ~20% below Redis OSS; these are Valkey)."""
