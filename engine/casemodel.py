"""The Case (a client's file over time) and its parts, as pydantic models: engine.model's, made
when first asked for (`from engine.model import Case` works as before), so that a plain
assessment's start does not make them."""
# No `from __future__ import annotations` (as engine.model: pydantic would eval each annotation).
from typing import Literal

from pydantic import Field

from .model import (
    DomainId, Household, InputDate, InterventionId, Municipality, ProfileId, SchemaVersion, _AssessmentFields, _Input,
)

InterventionStatus = Literal["running", "completed", "stopped", "declined", "waiting_list"]
InterventionResult = Literal["improved", "no_change", "worse"]
ContactKind = Literal["phone", "letter", "home_visit", "meeting"]


class CaseAssessment(_AssessmentFields):
    """One dated assessment in a Case (an Assessment without municipality and case_id)."""

    date: InputDate


class InterventionLogEntry(_Input):
    id: InterventionId
    started: InputDate
    ended: InputDate | None = None
    status: InterventionStatus
    result: InterventionResult | None = None


class Goal(_Input):
    """A Goal Attainment Scaling goal (seed:L2982-2998): scored -2..2 at its review."""

    id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    domain: DomainId
    set_on: InputDate
    review_on: InputDate | None = None
    gas_score: int | None = Field(None, ge=-2, le=2)


class Contact(_Input):
    date: InputDate
    kind: ContactKind
    reached: bool


class ProfileRecord(_Input):
    date: InputDate
    id: ProfileId


class Case(_Input):
    """A client's case over time: dated assessments (the latest is the current state), what was
    tried and how it went, goals, contacts and profiles given. Pseudonymous."""

    schema_version: SchemaVersion = 1
    case_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    municipality: Municipality
    age: int | None = Field(None, ge=16, le=120)
    household: Household | None = None
    # bounds far above a real trajectory (the pilots ran two years with an assessment every
    # few months), so that one input cannot grow without end
    assessments: list[CaseAssessment] = Field(min_length=1, max_length=100)
    interventions_log: list[InterventionLogEntry] = Field(default_factory=list, max_length=500)
    goals: list[Goal] = Field(default_factory=list, max_length=100)
    contacts: list[Contact] = Field(default_factory=list, max_length=1000)
    profile_history: list[ProfileRecord] = Field(default_factory=list, max_length=100)
    as_of: InputDate | None = None
