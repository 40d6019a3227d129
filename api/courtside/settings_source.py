"""The base of the app's settings classes: pydantic-settings without a `.env` pass when there
is no `.env`.

pydantic-settings reads each class from the init arguments, the environment, the `.env` file
and the secrets directory, and its `.env` source walks every field of the class (each field's
aliases and whether its type is "complex") even when no `.env` file exists, as in a Lambda
image: about 40 % of building a settings object (CacheSettings 5.4 -> 3.2 M instructions
built again; a cold start builds five to seven). With no `.env` values that source returns
nothing, so leaving it out changes no setting: a `.env` file that exists is read as before.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource


class EnvSettings(BaseSettings):
    """`BaseSettings` whose `.env` source is consulted only when it holds values."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if isinstance(dotenv_settings, DotEnvSettingsSource) and not dotenv_settings.env_vars:
            # No `.env` file (or an empty one): the source would return {} after walking
            # every field.
            return init_settings, env_settings, file_secret_settings
        return init_settings, env_settings, dotenv_settings, file_secret_settings
