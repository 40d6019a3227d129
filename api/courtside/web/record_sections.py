"""My record's summary and analytics section, remembered per input (issue 23).

The record page reads every bet of the user with its closing quotes (one statement,
`record_reads.record_rows`, which the cache holds as JSON) and computes from those rows its
summary, the profit and CLV charts, the figures and the five breakdowns, then builds that
section's markup: most of a warm record's CPU, the same work on every view until a bet, a
result or a quote changes. Paging through the bets table, filtering it or coming back to the
page changes none of it.

A warm process remembers what it built last for exactly the same input (`RECORD_SECTIONS`):
the rows as read (their JSON's bytes), the viewer's zone and unit, and the wallet's balance
and starting bankroll. The key is the whole input, so a section is never stale (a new bet, a
settlement, a later closing quote or a new unit is a new key, built afresh), and the section
is a pure function of it, so two viewers can only share one when their input is the same.
The unit form's CSRF token is the viewer's: the markup is kept split at `VIEWER_SLOT` and
each request puts its own token there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup

from courtside.remembered import HashedKey, Remembered
from courtside.services import analytics, record_reads
from courtside.web.analytics_html import RecordAnalytics
from courtside.web.analytics_view import analytics_view
from courtside.web.charts import profit_chart
from courtside.web.html_escape import escape_text as _e
from courtside.web.viewer_slot import VIEWER_SLOT, split_at_slot

if TYPE_CHECKING:
    from courtside.services.bet_record import Summary
    from courtside.services.units import Unit
    from courtside.web.formatting import Formatter

RECORD_SECTIONS_KEPT = 32
"""Records a process remembers."""

ROWS_KEPT_AT_MOST = 1_000
"""A record of more rows (bets and their closing quotes) is built per request, as before,
not kept: memory stays bounded by what one record may hold. The demo's 40 bets are 120 rows
(~70 kB with their ~45 kB of markup); 32 records at this bound, ~330 bets each, ~25 MB of
a function's 1,024 MB."""

RECORD_SECTIONS: Remembered[HashedKey, RecordSection] = Remembered(RECORD_SECTIONS_KEPT)
"""Keyed by everything the section is built from (`record_section`)."""


@dataclass(frozen=True, slots=True)
class RecordSection:
    """The record's summary, and its analytics section as the markup before and after the
    unit form's token (`split`), or, when the data held the mark, the section to build per
    request (`analytics`)."""

    summary: Summary
    split: tuple[str, str] | None
    analytics: RecordAnalytics | None = None

    def __call__(self, csrf_token: object) -> Markup:
        """The analytics section with the viewer's token (`record.html` calls it)."""
        if self.split is None:
            assert self.analytics is not None
            return self.analytics(csrf_token)
        before, after = self.split
        return Markup(before + _e(csrf_token) + after)  # noqa: S704  (escaped when built)


def record_section(
    rows_json: bytes, fmt: Formatter, unit: Unit, *, balance_cents: int, starting_cents: int
) -> RecordSection:
    """The summary and analytics section of the rows `rows_json` holds
    (`record_reads.record_page_reads`) for a viewer in `fmt`'s zone with `unit` and that
    wallet: the one built last for exactly this input, else built now. The rows are read
    from their JSON only then: the bytes are the key (compared in C, as is their hash)."""
    key = HashedKey((rows_json, fmt.zone, unit, balance_cents, starting_cents))
    section = RECORD_SECTIONS.get(key)
    if section is not None:
        return section
    rows = record_reads.rows_of(rows_json)
    read = record_reads.record_of(rows, balance_cents=balance_cents, starting_cents=starting_cents)
    stats = analytics.stats_of(read.decided, unit, zone=fmt.zone)
    built = RecordAnalytics(fmt, analytics_view(stats, fmt), profit_chart(read.series, fmt.zone))
    split = split_at_slot(str(built(VIEWER_SLOT)))
    if split is None or len(rows) > ROWS_KEPT_AT_MOST:
        # some text of the data held the mark, or the record is too large to keep: built per
        # request, not kept
        return RecordSection(read.summary, None, built)
    return RECORD_SECTIONS.keep(key, RecordSection(read.summary, split))
