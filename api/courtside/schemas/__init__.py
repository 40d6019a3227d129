"""Pydantic schemas: `XCreate`, `XUpdate`, `XRead`, `Page[X]`. Never the ORM models."""
