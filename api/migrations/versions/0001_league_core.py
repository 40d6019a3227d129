"""league data, audit events and feature flags

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:51:36.213887
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_name", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "actor_type IN ('user', 'api_key', 'system')", name=op.f("ck_audit_events_actor_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_action", "audit_events", ["action"], unique=False)
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"], unique=False)

    op.create_table(
        "feature_flags",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(name) >= 2", name=op.f("ck_feature_flags_name_length")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feature_flags")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("abbreviation", sa.String(length=4), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("conference", sa.String(length=8), nullable=False),
        sa.Column("division", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("conference IN ('East', 'West')", name=op.f("ck_teams_conference")),
        sa.CheckConstraint(
            "division IN ('Atlantic', 'Central', 'Southeast', 'Northwest', 'Pacific', 'Southwest')",
            name=op.f("ck_teams_division"),
        ),
        sa.CheckConstraint(
            "length(abbreviation) BETWEEN 2 AND 4", name=op.f("ck_teams_abbreviation_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("abbreviation", name=op.f("uq_teams_abbreviation")),
    )
    op.create_table(
        "games",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("home_team_id", sa.Integer(), nullable=False),
        sa.Column("away_team_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("home_score", sa.Integer(), nullable=True),
        sa.Column("away_score", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'final' OR (home_score IS NOT NULL AND away_score IS NOT NULL AND home_score <> away_score)",
            name=op.f("ck_games_final_has_winner"),
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'live', 'final', 'postponed')", name=op.f("ck_games_status")
        ),
        sa.CheckConstraint(
            "(home_score IS NULL OR home_score >= 0) AND (away_score IS NULL OR away_score >= 0)",
            name=op.f("ck_games_scores_non_negative"),
        ),
        sa.CheckConstraint("home_team_id <> away_team_id", name=op.f("ck_games_distinct_teams")),
        sa.ForeignKeyConstraint(
            ["away_team_id"],
            ["teams.id"],
            name=op.f("fk_games_away_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["home_team_id"],
            ["teams.id"],
            name=op.f("fk_games_home_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_games")),
        sa.UniqueConstraint("external_id", name=op.f("uq_games_external_id")),
    )
    op.create_index("ix_games_away_team_id", "games", ["away_team_id"], unique=False)
    op.create_index("ix_games_home_team_id", "games", ["home_team_id"], unique=False)
    op.create_index("ix_games_start_time", "games", ["start_time"], unique=False)

    op.create_table(
        "players",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.String(length=3), nullable=False),
        sa.Column("jersey", sa.String(length=2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "position IN ('G', 'F', 'C', 'G-F', 'F-G', 'F-C', 'C-F')",
            name=op.f("ck_players_position"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_players_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_players")),
        sa.UniqueConstraint("external_id", name=op.f("uq_players_external_id")),
    )
    op.create_index("ix_players_last_first", "players", ["last_name", "first_name"], unique=False)
    op.create_index(op.f("ix_players_team_id"), "players", ["team_id"], unique=False)

    op.create_table(
        "injuries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.CheckConstraint(
            "status IN ('out', 'doubtful', 'questionable', 'probable', 'day-to-day')",
            name=op.f("ck_injuries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_injuries_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_injuries")),
        sa.UniqueConstraint(
            "player_id", "reported_on", name=op.f("uq_injuries_player_id_reported_on")
        ),
    )
    op.create_index(op.f("ix_injuries_player_id"), "injuries", ["player_id"], unique=False)

    op.create_table(
        "odds_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("bookmaker", sa.String(length=64), nullable=False),
        sa.Column("home_odds", sa.Integer(), nullable=False),
        sa.Column("away_odds", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "away_odds <= -100 OR away_odds >= 100",
            name=op.f("ck_odds_snapshots_away_odds_american"),
        ),
        sa.CheckConstraint(
            "home_odds <= -100 OR home_odds >= 100",
            name=op.f("ck_odds_snapshots_home_odds_american"),
        ),
        sa.ForeignKeyConstraint(
            ["game_id"],
            ["games.id"],
            name=op.f("fk_odds_snapshots_game_id_games"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_odds_snapshots")),
        sa.UniqueConstraint(
            "game_id",
            "bookmaker",
            "recorded_at",
            name=op.f("uq_odds_snapshots_game_id_bookmaker_recorded_at"),
        ),
    )
    op.create_index(
        "ix_odds_snapshots_game_recorded",
        "odds_snapshots",
        ["game_id", "recorded_at"],
        unique=False,
    )

    op.create_table(
        "player_season_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("games_played", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("rebounds", sa.Float(), nullable=False),
        sa.Column("assists", sa.Float(), nullable=False),
        sa.Column("steals", sa.Float(), nullable=False),
        sa.Column("blocks", sa.Float(), nullable=False),
        sa.Column("field_goal_pct", sa.Float(), nullable=False),
        sa.Column("three_point_pct", sa.Float(), nullable=False),
        sa.Column("free_throw_pct", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "field_goal_pct >= 0 AND field_goal_pct <= 1 AND three_point_pct >= 0 AND three_point_pct <= 1 AND free_throw_pct >= 0 AND free_throw_pct <= 1",
            name=op.f("ck_player_season_stats_percentages"),
        ),
        sa.CheckConstraint(
            "games_played >= 0 AND games_played <= 82",
            name=op.f("ck_player_season_stats_games_played"),
        ),
        sa.CheckConstraint(
            "minutes >= 0 AND points >= 0 AND rebounds >= 0 AND assists >= 0 AND steals >= 0 AND blocks >= 0",
            name=op.f("ck_player_season_stats_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_player_season_stats_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_player_season_stats_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_season_stats")),
        sa.UniqueConstraint(
            "player_id", "season", name=op.f("uq_player_season_stats_player_id_season")
        ),
    )
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("home_win_probability", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "home_win_probability >= 0 AND home_win_probability <= 1",
            name=op.f("ck_predictions_probability"),
        ),
        sa.ForeignKeyConstraint(
            ["game_id"], ["games.id"], name=op.f("fk_predictions_game_id_games"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
        sa.UniqueConstraint(
            "game_id", "model_version", name=op.f("uq_predictions_game_id_model_version")
        ),
    )
    op.create_index(op.f("ix_predictions_game_id"), "predictions", ["game_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_predictions_game_id"), table_name="predictions")

    op.drop_table("predictions")
    op.drop_table("player_season_stats")
    op.drop_index("ix_odds_snapshots_game_recorded", table_name="odds_snapshots")

    op.drop_table("odds_snapshots")
    op.drop_index(op.f("ix_injuries_player_id"), table_name="injuries")

    op.drop_table("injuries")
    op.drop_index(op.f("ix_players_team_id"), table_name="players")
    op.drop_index("ix_players_last_first", table_name="players")

    op.drop_table("players")
    op.drop_index("ix_games_start_time", table_name="games")
    op.drop_index("ix_games_home_team_id", table_name="games")
    op.drop_index("ix_games_away_team_id", table_name="games")

    op.drop_table("games")
    op.drop_table("teams")
    op.drop_table("feature_flags")
    op.drop_index("ix_audit_events_occurred_at", table_name="audit_events")
    op.drop_index("ix_audit_events_action", table_name="audit_events")

    op.drop_table("audit_events")
