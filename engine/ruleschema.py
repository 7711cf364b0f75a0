"""The schemas of the rule files that only loading checks (engine.rulebook.load, `wegwijzer
check`): the catalogue, the packs, the flowchart, the profile and lead rules as written.

They are apart from engine.rulebook because a loaded Rulebook holds none of their objects:
a rulebook read from the cache (engine.rulecache) is made without them, and a plain
`wegwijzer recommend` does not create these twenty pydantic classes (a few milliseconds of its
cold start). The schemas whose objects the book does hold (resolution.yaml's, the labels, a
node's advice, override_reasons.yaml's) stay in engine.rulebook, which still answers the old
names below (`from engine.rulebook import PackIn` works as before).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .model import DOMAIN_IDS
from .rulebook import CODE_PATTERN, AdviceIn, LabelsIn, MunicipalityId, ResolutionFile, Source, _Schema


class InterventionIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    domain: Literal[DOMAIN_IDS] | None  # type: ignore[valid-type]
    step: int = Field(ge=1, le=3)
    provider: Literal["organisation", "pilot_professional"] = "organisation"
    source: str = Source


class InterventionsFile(_Schema):
    interventions: list[InterventionIn] = Field(min_length=1)


class ServiceIn(_Schema):
    intervention: str
    warm_handover: bool
    shares_data: bool
    source: str = Source


class OrganisationIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    name: str = Field(min_length=1)
    source: str = Source
    services: list[ServiceIn] = Field(default_factory=list)


class PilotIn(_Schema):
    name: str
    role: Literal["participation_coach", "trajectory_consultant"]
    organisation: str
    source: str = Source


Form = Literal["multidisciplinary_team", "case_management", "central_contact", "referral"]


class MunicipalityIn(_Schema):
    """A municipality of the rules before packs (social_map.yaml `municipalities:`)."""

    name: str
    pilot: PilotIn
    organisations: list[OrganisationIn]


class SocialMapFile(_Schema):
    municipalities: dict[MunicipalityId, MunicipalityIn] = Field(min_length=1)


class PackIn(_Schema):
    """A pack's municipality.yaml: who the municipality is and how it works the method."""

    id: MunicipalityId
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    variant: str  # an id under resolution.yaml `variants:`
    pilot: PilotIn
    # lead rule id -> form, for the lead rules that can apply here (RuleChecks.pack_forms)
    collaboration: dict[str, Form] = Field(default_factory=dict)


class PackSocialMapFile(_Schema):
    """A pack's social_map.yaml: who offers which intervention there (`map import` writes it)."""

    organisations: list[OrganisationIn]


PACK_SCHEMAS: dict[str, type[BaseModel]] = {"municipality.yaml": PackIn, "social_map.yaml": PackSocialMapFile}


class NodeIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    type: Literal["decision", "action", "end"]
    source: str = Source
    question_nl: str | None = None
    question_en: str | None = None
    when: Any = None
    yes: str | None = None
    no: str | None = None
    intervention: str | None = None
    reason_nl: str | None = None
    reason_en: str | None = None
    advice: AdviceIn | None = None  # on an action: when it is suggested; on a decision: when it answers yes
    next: str | None = None
    # an action's step waits for these steps first (those in the plan, running or covered by an
    # involved professional; the first listed when none is): care before work
    waits_for: list[str] = Field(default_factory=list)


class FlowchartFile(_Schema):
    start: str
    nodes: list[NodeIn] = Field(min_length=1)


class ProfileRuleIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    profile: Literal["work_activation", "social_activation", "social_activation_with_treatment", "income_support"]
    when: Any
    rationale_nl: str
    rationale_en: str
    source: str = Source


class ProfilesFile(_Schema):
    hit_policy: Literal["first"]
    profiles: dict[str, LabelsIn]
    rules: list[ProfileRuleIn] = Field(min_length=1)


class LeadSpec(_Schema):
    prefer_support: list[str] = Field(min_length=1)


class TrustedLeadSpec(_Schema):
    prefer_trusted: list[str] = Field(min_length=1)


class SocialMapLeadSpec(_Schema):
    from_social_map: str
    role: str


class LeadRuleIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    when: Any
    lead: Literal["pilot", "first_trusted"] | LeadSpec | TrustedLeadSpec | SocialMapLeadSpec
    # the form per municipality: in each pack's municipality.yaml `collaboration:`
    rationale_nl: str
    rationale_en: str
    source: str = Source


class LeadFile(_Schema):
    hit_policy: Literal["first"]
    roles: dict[str, LabelsIn]
    collaborations: dict[str, LabelsIn]
    rules: list[LeadRuleIn] = Field(min_length=1)



SCHEMAS: dict[str, type[BaseModel]] = {
    "interventions.yaml": InterventionsFile,
    "leiden_flowchart.yaml": FlowchartFile, "helmond_profiles.yaml": ProfilesFile,
    "lead_coordinator.yaml": LeadFile, "resolution.yaml": ResolutionFile,
}
