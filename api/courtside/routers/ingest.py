"""`POST /v1/ingest/{dataset}`: the data pipeline's write path (API keys with `write` scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from courtside.auth.deps import AuthApiKey, actor_for_key, require_scope
from courtside.db import SessionDep
from courtside.schemas.common import error_responses
from courtside.schemas.ingest import Dataset, IngestBatch, IngestResult
from courtside.services.ingest import ingest

router = APIRouter(
    prefix="/v1/ingest", tags=["ingestion"], responses=error_responses(401, 403, 409, 413, 422)
)

WriteKey = Annotated[AuthApiKey, Depends(require_scope("write"))]


@router.post("/{dataset}", response_model=IngestResult)
async def ingest_batch(
    key: WriteKey,
    session: SessionDep,
    dataset: Annotated[
        Dataset, Path(description="teams, players, games, odds, predictions or injuries.")
    ],
    batch: IngestBatch,
) -> IngestResult:
    """Upsert a batch of records by natural key, all or nothing.

    Any invalid record refuses the whole batch (422, each bad record's index and errors);
    re-sending a batch changes nothing; final results settle bets. See docs/ingestion.md.
    """
    return await ingest(session, dataset, batch.records, actor=actor_for_key(key))
