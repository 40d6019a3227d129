"""`POST /v1/ingest/{dataset}`: the data pipeline's write path (API keys with `write` scope)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path

from courtside.auth.deps import AuthApiKey, actor_for_key, require_scope
from courtside.schemas.common import error_responses
from courtside.schemas.ingest import Dataset, IngestBatch, IngestResult
from courtside.services.ingest import ingest
from courtside.unit_of_work import UnitOfWorkDep

router = APIRouter(
    prefix="/v1/ingest", tags=["ingestion"], responses=error_responses(401, 403, 409, 413, 422)
)

WriteKey = Annotated[AuthApiKey, Depends(require_scope("write"))]

_EXAMPLE_RECORDS: dict[str, dict[str, Any]] = {
    "teams": {
        "abbreviation": "BOS",
        "city": "Boston",
        "name": "Celtics",
        "conference": "East",
        "division": "Atlantic",
    },
    "players": {
        "external_id": "nba-1628369",
        "first_name": "Jayson",
        "last_name": "Tatum",
        "team": "BOS",
        "position": "F",
        "jersey": "0",
        "active": True,
        "season_stats": [
            {
                "season": 2025,
                "games_played": 72,
                "minutes": 36.4,
                "points": 26.8,
                "rebounds": 8.7,
                "assists": 6.0,
                "steals": 1.1,
                "blocks": 0.5,
                "field_goal_pct": 0.452,
                "three_point_pct": 0.343,
                "free_throw_pct": 0.814,
            }
        ],
    },
    "games": {
        "external_id": "0022600123",
        "season": 2026,
        "start_time": "2026-11-24T00:30:00Z",
        "home_team": "BOS",
        "away_team": "NYK",
        "status": "final",
        "home_score": 112,
        "away_score": 104,
    },
    "odds": {
        "game": "0022600123",
        "bookmaker": "fanduel",
        "home_odds": -150,
        "away_odds": 130,
        "recorded_at": "2026-11-23T18:00:00Z",
    },
    "predictions": {"game": "0022600123", "model_version": "elo-3", "home_win_probability": 0.61},
    "injuries": {
        "player": "nba-1628369",
        "reported_on": "2026-11-22",
        "status": "questionable",
        "description": "Left ankle sprain",
    },
}
EXAMPLES: dict[str, Any] = {
    name: {"summary": f"POST /v1/ingest/{name}", "value": {"records": [record]}}
    for name, record in _EXAMPLE_RECORDS.items()
}


@router.post("/{dataset}", response_model=IngestResult)
async def ingest_batch(
    key: WriteKey,
    work: UnitOfWorkDep,
    dataset: Annotated[
        Dataset, Path(description="teams, players, games, odds, predictions or injuries.")
    ],
    batch: Annotated[IngestBatch, Body(openapi_examples=EXAMPLES)],
) -> IngestResult:
    """Upsert a batch of records by natural key, all or nothing.

    Any invalid record refuses the whole batch (422, each bad record's index and errors);
    re-sending a batch changes nothing; final results settle bets. See docs/ingestion.md.
    """
    return await ingest(work.session, dataset, batch.records, actor=actor_for_key(key))
