"""The schemas of the rule files that only loading checks (engine.rulebook.load, `wegwijzer
check`): the catalogue, the packs, the flowchart, the profile and lead rules as written.

They are apart from engine.rulebook because a loaded Rulebook holds none of their objects:
a rulebook read from the cache (engine.rulecache) is made without them, and a plain
`wegwijzer recommend` does not create these thirty-five pydantic classes (some 20 M
instructions of its cold start for the fourteen of resolution.yaml, the labels, a node's
advice and override_reasons.yaml alone). What the book holds of those files it holds as
record.Plain objects with their fields (`plain` below). engine.rulebook still answers every
name here (`from engine.rulebook import PackIn` works as before).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from .model import DOMAIN_IDS, Wish
from .record import Plain
from .rulebook import CODE_PATTERN, SOURCE_PATTERN, MunicipalityId, Source, _Schema


class AdviceIn(_Schema):
    id: str
    text_nl: str
    text_en: str


class LabelsIn(_Schema):
    label_nl: str
    label_en: str


class TierIn(_Schema):
    id: str
    domain_self_reliance_at_most: int | None = Field(None, ge=1, le=5)
    interventions: list[str] = Field(default_factory=list)
    when_domain_acute: list[str] = Field(default_factory=list)  # take the threshold into account for these only
    source: str = Source


class RankingIn(_Schema):
    tiers: list[TierIn] = Field(min_length=1)
    order: list[str] = Field(default_factory=list)
    order_source: str = Field("practice", pattern=SOURCE_PATTERN)
    wishes: dict[Wish, list[str]] = Field(default_factory=dict)
    wishes_source: str = Field("practice", pattern=SOURCE_PATTERN)


class StepPlanIn(_Schema):
    """The step plan's policy (resolution.yaml `step_plan`): read by engine.resolve."""

    urgent_tiers: list[str] = Field(min_length=1)
    groundwork_tiers: list[str]
    now_at_most: int = Field(ge=1)
    now_at_most_source: str = Source
    conversations_for_trust: int = Field(ge=1)
    conversations_for_trust_source: str = Source
    needs_trust: list[str]
    needs_trust_source: str = Source
    one_at_a_time: list[str]
    one_at_a_time_source: str = Source
    never_now: list[str]
    never_now_source: str = Source
    after: dict[str, list[str]]
    after_source: str = Source
    # flowchart decisions that, answered yes, waive 'trust first' (a client who asks for one
    # concrete thing gets it now)
    trust_not_awaited_when: list[str] = Field(default_factory=list)
    trust_not_awaited_source: str = Field("practice", pattern=SOURCE_PATTERN)


class VariantIn(_Schema):
    label_nl: str
    label_en: str
    focus: list[str]
    source: str = Source


class ConsentIn(_Schema):
    source: str = Source
    missing_nl: str
    missing_en: str
    given_nl: str
    given_en: str


class NothingNeededIn(_Schema):
    text_nl: str
    text_en: str
    source: str = Source


class SectionIn(_Schema):
    from_: int = Field(alias="from", ge=1)
    title: str = Field(min_length=1)


class ReportIn(_Schema):
    title_nl: str = Field(min_length=1)
    title_source: str = Source
    sections: list[SectionIn] = Field(min_length=1)


class ResolutionFile(_Schema):
    ranking: RankingIn
    step_plan: StepPlanIn
    variants: dict[str, VariantIn] = Field(min_length=1)  # each pack's municipality.yaml names its own
    rule_set_names: dict[str, str] = Field(default_factory=dict)
    report: ReportIn
    already_covered_by_support: dict[str, list[str]]
    consent: ConsentIn
    all_running: NothingNeededIn
    nothing_needed: NothingNeededIn


DECISIONS = ("accepted", "not_now", "other")  # the coach's answers to one suggestion (the decision log)


class DecisionIn(_Schema):
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    needs_reason: bool


class OverrideReasonIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    source: str = Source


class OverrideReasonsFile(_Schema):
    """override_reasons.yaml: the coach's answers to a suggestion, and the reasons for setting one aside."""

    decisions: dict[Literal["accepted", "not_now", "other"], DecisionIn]
    reasons: list[OverrideReasonIn] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_decision(self) -> "OverrideReasonsFile":
        missing = [d for d in DECISIONS if d not in self.decisions]
        if missing:
            raise ValueError(f"decisions: missing {', '.join(missing)} (each of {', '.join(DECISIONS)} needs labels)")
        return self


# Rule files the advice does not depend on: loaded when present, so that the rules of a revision
# from before them (`wegwijzer diff HEAD~5 rules`) still load. `check` asks for them.
OPTIONAL_SCHEMAS: dict[str, type[BaseModel]] = {"override_reasons.yaml": OverrideReasonsFile}


def plain(value: Any) -> Any:
    """A checked schema object as the Rulebook holds it: a record.Plain of its fields (in the
    schema's order), inside it too; mappings and lists as they are, their items so made."""
    if isinstance(value, BaseModel):
        return Plain(**{name: plain(getattr(value, name)) for name in type(value).model_fields})
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value



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
