"""Base models shared by the policies: frozen records and configuration loaded from dicts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Self, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orderkit.errors import ConfigError

__all__ = ["Duration", "PolicyConfig", "PositiveDuration", "Record", "Slug"]

Duration: TypeAlias = Annotated[timedelta, Field(ge=timedelta(0))]
"""A duration of zero or more; from data, seconds or ISO 8601 such as ``"PT5M"``."""

PositiveDuration: TypeAlias = Annotated[timedelta, Field(gt=timedelta(0))]
"""A duration longer than zero."""

Slug: TypeAlias = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
"""A lower-case identifier such as ``vague_address`` or ``cancel``."""


class Record(BaseModel):
    """A frozen value a policy produces and the host persists (``model_dump_json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class PolicyConfig(Record):
    """A policy's configuration: frozen, validated, every field defaulting to the seed's figure."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from plain data (parsed JSON, YAML or a dict); bad data raises ``ConfigError``.

        Fields left out keep their defaults.
        """
        try:
            return cls.model_validate(dict(data))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in e['loc']) or 'value'}: {e['msg']}"
                for e in error.errors()
            )
            raise ConfigError(f"invalid {cls.__name__}: {problems}") from error
