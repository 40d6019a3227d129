"""Push the demo season through the ingestion API over HTTP, as the real pipeline would.

    python scripts/load_via_api.py --base-url http://127.0.0.1:8000 --api-key cs_…
    COURTSIDE_API_KEY=cs_… python scripts/load_via_api.py            # key from the environment

The key needs the `write` scope (create one as an Admin: `POST /v1/admin/api-keys`). Datasets
go in dependency order (teams, players, games, odds, predictions, injuries), each in batches
of `--batch-size` records. Ingestion is idempotent, so a batch that failed on the way (a
timeout, a 502/503/504 or 429) is simply sent again, and re-running the whole load changes
nothing. A 4xx other than 429 stops the load and prints the API's error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from scripts.demo_data import DemoSeason

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_BATCH_SIZE = 1_000
RETRY_STATUSES = {429, 502, 503, 504}
ATTEMPTS = 4


class LoadError(Exception):
    """The API refused a batch; the message carries its error."""


@dataclass
class Totals:
    batches: int = 0
    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    bets_settled: int = 0
    event_ids: list[int] = field(default_factory=list)

    def add(self, result: dict[str, Any]) -> None:
        self.batches += 1
        for name in ("received", "inserted", "updated", "unchanged"):
            setattr(self, name, getattr(self, name) + int(result[name]))
        self.bets_settled += int(result.get("bets_settled") or 0)
        self.event_ids.append(int(result["event_id"]))


def _describe(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}: {response.text[:300]}"
    details = error.get("details")
    shown = f"\n  details: {str(details)[:1_000]}" if details else ""
    return f"HTTP {response.status_code} {error.get('code')}: {error.get('message')}{shown}"


async def post_batch(
    client: httpx.AsyncClient, dataset: str, records: list[dict[str, Any]], *, delay: float = 0.5
) -> dict[str, Any]:
    """POST one batch; retry what is worth retrying (safe: ingestion is idempotent)."""
    import httpx

    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = await client.post(f"/v1/ingest/{dataset}", json={"records": records})
        except httpx.TransportError as exc:
            if attempt == ATTEMPTS:
                raise LoadError(f"{dataset}: {type(exc).__name__}: {exc}") from exc
        else:
            if response.status_code == 200:
                result: dict[str, Any] = response.json()
                return result
            if response.status_code not in RETRY_STATUSES or attempt == ATTEMPTS:
                raise LoadError(f"{dataset}: {_describe(response)}")
            retry_after = response.headers.get("retry-after", "")
            if retry_after.isdigit():
                await asyncio.sleep(min(int(retry_after), 30))
                continue
        await asyncio.sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


async def push_season(
    client: httpx.AsyncClient,
    season: DemoSeason,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    datasets: set[str] | None = None,
    retry_delay: float = 0.5,
) -> dict[str, Totals]:
    """Send every dataset of `season` in batches; the totals of what the API reported."""
    totals: dict[str, Totals] = {}
    for dataset, records in season.datasets():
        if datasets is not None and dataset not in datasets:
            continue
        total = totals.setdefault(dataset, Totals())
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            total.add(await post_batch(client, dataset, batch, delay=retry_delay))
    return totals


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-url",
        default=os.environ.get("COURTSIDE_BASE_URL", DEFAULT_BASE_URL),
        help="the API's root URL (env COURTSIDE_BASE_URL; default %(default)s)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("COURTSIDE_API_KEY"),
        help="an API key with the write scope (env COURTSIDE_API_KEY)",
    )
    parser.add_argument("--seed", type=int, default=None, help="demo-season seed")
    parser.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="the clock the season is generated for (ISO-8601 with zone; default: now)",
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument(
        "--datasets", default=None, help="comma-separated subset, e.g. games,odds (default: all)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("an API key is required: --api-key or COURTSIDE_API_KEY")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.now is not None and args.now.tzinfo is None:
        parser.error("--now needs a time zone, e.g. 2026-11-23T15:00:00+00:00")
    return args


async def run(
    args: argparse.Namespace, *, transport: httpx.AsyncBaseTransport | None = None
) -> int:
    import httpx

    from scripts.demo_data import DEFAULT_SEED, generate_season

    season = generate_season(seed=DEFAULT_SEED if args.seed is None else args.seed, now=args.now)
    wanted = set(args.datasets.split(",")) if args.datasets else None
    headers = {"X-API-Key": args.api_key, "User-Agent": "courtside-load-via-api"}
    async with httpx.AsyncClient(
        base_url=args.base_url, headers=headers, timeout=args.timeout, transport=transport
    ) as client:
        try:
            totals = await push_season(client, season, batch_size=args.batch_size, datasets=wanted)
        except LoadError as exc:
            print(f"load failed: {exc}", file=sys.stderr)
            return 1
    for dataset, total in totals.items():
        settled = f", {total.bets_settled} bets settled" if dataset == "games" else ""
        print(
            f"{dataset:<12} {total.received:>6} sent in {total.batches} batches: "
            f"{total.inserted} inserted, {total.updated} updated, "
            f"{total.unchanged} unchanged{settled}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
