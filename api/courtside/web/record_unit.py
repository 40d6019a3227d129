"""The record page's unit form: `POST /record/unit` sets the stake size the analytics count
"units won" in (empty: back to the default, 1 % of the starting bankroll). CSRF-protected,
answered with a redirect to the analytics; a refused value re-renders the record with the
reason (422)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.csrf import CsrfProtected
from courtside.domain_errors import Invalid
from courtside.services import units
from courtside.unit_of_work import UnitOfWorkDep
from courtside.web.pages import RecordQuery, _record_page
from courtside.web.session import PageUser

router = APIRouter(include_in_schema=False)


def _cents(text: str) -> int | None:
    """`"12.5"` → 1250; empty → None (the default). Refuses what is not a number of units
    with at most two decimals."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    # the bound first: quantizing 1e400 to cents would itself raise
    if not value.is_finite() or abs(value) > 10**12 or value != value.quantize(Decimal("0.01")):
        raise Invalid("invalid_unit", "Enter the unit as a number of units, e.g. 10 or 12.50.")
    return int(value * 100)


@router.post("/record/unit")
async def set_unit_form(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    unit: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        await units.set_unit(work.session, user.id, _cents(unit))
    except Invalid as exc:
        await work.rollback()
        return await _record_page(
            request, work.session, user, RecordQuery(), error=exc.message, status=422
        )
    return RedirectResponse("/record#analytics", status_code=303)
