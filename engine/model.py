"""The public contract as pydantic models: validation at the edge (`wegwijzer schema` prints it).

Names here are API: add fields, never rename them.
"""
# No `from __future__ import annotations` here: pydantic would evaluate every field's annotation
# from its text when each class is made (compile and eval, field by field); written as code they
# cost nothing more, and the classes are made at every start (a few ms of the cold start).
from datetime import date as Date
from typing import Annotated, Literal, TypeVar

from typing import Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator, model_validator

from . import prebuilt

# A municipality's id, its pack's folder under rules/municipalities/ (its CBS code, GM0546, is
# taken too: the engine makes it the id before validating). The rule files,
# not this module, say which ids exist: the engine checks an id against its loaded rulebook
# (an InputError naming `municipality`), and `wegwijzer schema` lists the rulebook's ids.
MUNICIPALITY_PATTERN = r"^[a-z][a-z0-9_-]{1,40}$"
MUNICIPALITY_PATTERN_MESSAGE = ("must be a municipality id as the rules' social map spells it: lower-case letters, "
                                "digits, '_' or '-', 2 to 41 characters, starting with a letter; or its CBS code, "
                                "GM and four digits (GM0546), without spaces")
Municipality = Annotated[str, Field(pattern=MUNICIPALITY_PATTERN,
                                    description="a municipality id of the rules (a pack in rules/municipalities/)")]
DomainId = Literal[
    "housing", "daytime_activities", "social_network", "finances", "physical_health",
    "mental_health", "leisure", "safety", "social_contacts",
]
DOMAIN_IDS: tuple[str, ...] = DomainId.__args__  # type: ignore[attr-defined]
# The Dutch names of the nine life domains (leefgebieden), seed:L1944-1947.
DOMAIN_LABELS_NL: dict[str, str] = {
    "housing": "wonen", "daytime_activities": "dagbesteding", "social_network": "sociaal netwerk",
    "finances": "financiën", "physical_health": "lichamelijke gezondheid",
    "mental_health": "geestelijke gezondheid", "leisure": "vrije tijd", "safety": "veiligheid",
    "social_contacts": "sociale contacten",
}
Wish = Literal[
    "paid_work", "volunteering", "social_contact", "learn_language", "learn_digital",
    "exercise", "structure", "help_others",
]
SupportKind = Literal[
    "mental_health_care", "fact_team", "outreach_care", "housing_support", "ambulatory_support",
    "financial_administration", "client_support", "disability_care", "debt_counselling",
    "social_work_team", "general_practitioner", "addiction_care", "other",
]
# The Zelfredzaamheid-Matrix 2017's thirteen domains (a national standard, like the scale
# above); which life domain each feeds is rules/zrm.yaml's crosswalk, not this module's.
ZrmDomainId = Literal[
    "finances", "work_and_education", "time_use", "housing", "domestic_relations", "mental_health",
    "physical_health", "substance_use", "basic_adl", "instrumental_adl", "social_network",
    "community_participation", "justice",
]
ZRM_DOMAIN_IDS: tuple[str, ...] = ZrmDomainId.__args__  # type: ignore[attr-defined]

IgmFactor = Literal[
    "physical_barriers", "psychological_barriers", "mental_barriers", "practical_barriers",
    "vocational_capital", "talent", "attitude", "social_pressure", "perceived_control",
    "self_regulation", "social_network", "motivation", "behaviour",
]
ProfileId = Literal["work_activation", "social_activation", "social_activation_with_treatment", "income_support"]
Collaboration = Literal["multidisciplinary_team", "case_management", "central_contact", "referral"]

InterventionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")]


def _not_a_bool(value: Any) -> Any:
    # Python's True == 1, so without this `schema_version: true` would pass as version 1
    if isinstance(value, bool):
        raise ValueError("must be the number 1, not true/false")
    return value


def _date_text(value: Any) -> Any:
    # a date is YYYY-MM-DD text (or a date from YAML); a number is not a date (lax pydantic
    # would read 0 as 1970-01-01)
    if isinstance(value, str) or isinstance(value, Date):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


# The dates a case may hold. A social-domain case spans a few years; a date outside these is
# a typo (9999 for 2025), and refusing it here keeps every date sum the engine makes (a due
# date a few months on) far from the calendar's end (9999-12-31), where it would overflow.
MAX_SUPPORT = 20  # professionals involved in one assessment
EARLIEST_DATE = Date(1900, 1, 1)
LATEST_DATE = Date(2100, 12, 31)
DATE_RANGE_MESSAGE = (f"een datum tussen {EARLIEST_DATE} en {LATEST_DATE} / "
                      f"must be a date from {EARLIEST_DATE} to {LATEST_DATE}")


def _in_date_range(value: Date) -> Date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"{value}: {DATE_RANGE_MESSAGE}")
    return value


SchemaVersion = Annotated[Literal[1], BeforeValidator(_not_a_bool)]
# Dates come as text in JSON: the one place input is parsed rather than taken as given.
InputDate = Annotated[Date, Strict(False), BeforeValidator(_date_text), AfterValidator(_in_date_range)]


class _Strict(BaseModel):
    # serialize_by_alias: model_dump() gives the JSON's names (`for`, `from`), not `for_`.
    # defer_build: every model's validator and serializer are built when first used, not at
    # import, so a command builds only the ones it needs (a plain assessment: no Case, no
    # Progress, nor the base classes), and from the schema the rulebook cache kept when there
    # is one (model_rebuild below); the cold start of `wegwijzer recommend`.
    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True, defer_build=True)

    @classmethod
    def model_rebuild(cls, *, force: bool = False, raise_errors: bool = True, _parent_namespace_depth: int = 2,
                      _types_namespace: Any = None) -> bool | None:
        # pydantic calls this when a deferred model is first used: a warm start completes it from
        # the schema the rulebook cache kept, instead of generating it again (engine.prebuilt)
        if not force and prebuilt.complete(cls):
            return True
        return super().model_rebuild(force=force, raise_errors=raise_errors, _types_namespace=_types_namespace,
                                     _parent_namespace_depth=_parent_namespace_depth + 1 if _parent_namespace_depth > 0 else 0)


class _Input(_Strict):
    """Input models are strict: nothing is silently coerced. "3" is not a score, true is not
    a number, 2.0 is not an integer (a float field takes an integer); NaN and infinity are
    not numbers. Whoever has text (the web form) converts it before validating."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False)


class Household(_Input):
    single: bool | None = None
    children_under_18: int | None = Field(None, ge=0, le=30)
    member_speaks_dutch: bool | None = None


class DomainScore(_Input):
    """One life domain (leefgebied): self-reliance on the Zelfredzaamheid-Matrix scale, 1 = acute."""

    self_reliance: int = Field(ge=1, le=5, description="1 acute problematiek .. 5 volledig zelfredzaam")
    satisfaction: int | None = Field(None, ge=1, le=5, description="1 very dissatisfied .. 5 very satisfied")
    priority: int | None = Field(None, ge=1, le=9, description="client's order of importance, 1 = most important")


class Circumstances(_Input):
    problematic_debt: bool = False
    rent_arrears: bool = False
    under_administration: bool = False
    language_level: Literal["below_a1", "a1", "a2", "b1", "b2_or_higher"] | None = None
    illiterate: bool = False
    low_digital_skills: bool = False
    psychological_complaints: Literal["none", "mild", "moderate", "severe"] | None = None
    addiction: bool = False
    physical_limitation: Literal["none", "mild", "severe"] | None = None
    unmet_care_need: bool = False
    informal_carer: bool = False
    carer_overloaded: bool = False
    intellectual_disability: bool = False
    autism: bool = False
    obesity: bool = False
    detention_history: bool = False
    parenting_concerns: bool = False
    unsafe_at_home: bool = False
    housing_unsuitable: bool = False
    specific_care_question: bool = False
    unaffordable_cost: bool = False  # a concrete, necessary cost the client cannot pay now
    dental_problem: bool = False  # bad teeth: eating is hard, pain, dentures needed (a dentist, not the GP)
    bounded_request: bool = False  # the client asks help with one concrete question only, no trajectory


class ExistingSupport(_Input):
    kind: SupportKind
    organisation: str | None = Field(None, max_length=120)
    trusted: bool = False


class _AssessmentFields(_Input):
    """What one assessment says; an Assessment adds where (municipality) and whose (case_id),
    a Case's assessment adds when (date)."""

    schema_version: SchemaVersion = 1
    age: int | None = Field(None, ge=16, le=120)
    household: Household | None = None
    ladder_rung: int | None = Field(None, ge=1, le=6, description="Participatieladder rung")
    years_on_benefit: float | None = Field(None, ge=0, le=105, description="years; at most a lifetime")
    wage_value_pct: int | None = Field(None, ge=0, le=100, description="Helmond screening (loonwaarde)")
    conversations_held: int | None = Field(None, ge=0, le=1000, description="left out: not known yet (treated as early)")
    open_to_support: bool = True
    consent_to_share: bool = False
    consent_to_share_with: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=50, description="social-map organisation ids")
    domains: dict[DomainId, DomainScore] = Field(min_length=1)
    circumstances: Circumstances = Field(default_factory=Circumstances)
    # Every list has a bound, far above a real case, so that one input cannot grow without end.
    wishes: list[Wish] = Field(default_factory=list, max_length=len(Wish.__args__))  # type: ignore[attr-defined]
    existing_support: list[ExistingSupport] = Field(default_factory=list, max_length=MAX_SUPPORT)
    current_interventions: list[InterventionId] = Field(default_factory=list, max_length=50)
    igm: dict[IgmFactor, Annotated[int, Field(ge=1, le=10)]] | None = None
    zrm: dict[ZrmDomainId, Annotated[int, Field(ge=1, le=5)]] | None = Field(
        None, description="Zelfredzaamheid-Matrix 2017 scores, 1-5; fill the life domains not scored in `domains` "
                          "(rules/zrm.yaml)")

    @field_validator("wishes", "current_interventions", "consent_to_share_with")
    @classmethod
    def _no_duplicates(cls, values: list[str]) -> list[str]:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise ValueError(f"'{value}' is listed twice")
            seen.add(value)
        return values

    @model_validator(mode="after")
    def _unique_priorities(self) -> "_AssessmentFields":
        owner: dict[int, str] = {}
        for domain, score in self.domains.items():
            if score.priority is None:
                continue
            if score.priority in owner:
                raise ValueError(
                    f"domains.{domain}.priority: priority {score.priority} is already given to "
                    f"domains.{owner[score.priority]}; each priority may be used once"
                )
            owner[score.priority] = domain
        return self


class Assessment(_AssessmentFields):
    """A life-domain assessment of one client (household). Pseudonymous: never a name or BSN."""

    case_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    municipality: Municipality


# ---------------------------------------------------------------- the trajectory: a case over time
# Case and its parts are in engine.casemodel, made when first asked for (a plain assessment
# never is; some 11 M instructions of its cold start); this module still answers their names.
_IN_CASEMODEL = frozenset({"InterventionStatus", "InterventionResult", "ContactKind", "CaseAssessment",
                           "InterventionLogEntry", "Goal", "Contact", "ProfileRecord", "Case"})


def __getattr__(name: str) -> Any:
    if name in _IN_CASEMODEL:
        from . import casemodel

        return getattr(casemodel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------- output


class ClientProfile(_Strict):
    id: ProfileId
    label_nl: str
    label_en: str
    rationale: str
    rationale_en: str = ""
    rule: str


class LeadCoordinator(_Strict):
    role: str
    organisation: str | None
    organisation_name: str | None = None
    label_nl: str
    label_en: str = ""
    rationale: str
    rationale_en: str = ""
    rule: str
    collaboration: Collaboration
    collaboration_nl: str = ""


class SuggestedIntervention(_Strict):
    id: str
    label_nl: str
    label_en: str
    domain: str | None
    rationale: str
    rationale_en: str = ""
    rule: str
    source: str
    referral_to: str | None = None
    urgent: bool = False
    phase: Literal["now", "next", "later"] = "now"
    waits_for: list[str] = Field(default_factory=list, description="'trust' or intervention ids")
    source_label: str = Field("", description="the source as a coach reads it: the report's title and section, or 'praktijk'")


class Referral(_Strict):
    # built from its JSON names only (`for`); `.for_` is the attribute, never an input name

    organisation: str
    name: str
    warm_handover: bool
    consent_required: bool
    consent_given: bool
    for_: list[str] = Field(alias="for")


class Advice(_Strict):
    id: str
    text_nl: str
    text_en: str
    rule: str
    source: str


class TraceStep(_Strict):
    rule: str
    file: str
    line: int
    kind: str
    outcome: str
    source: str


class Warning(_Strict):  # noqa: A001 - the contract's name; the builtin is not used here
    code: str
    field: str | None = None
    message_nl: str
    message_en: str


Warning_ = Warning  # the name before 0.2, kept for importers


class FromTo(_Strict):
    model_config = ConfigDict(validate_by_name=True)  # FromTo(from_=...) in Python; dumped as `from`

    # int first: a score or rung stays 3, not 3.0
    from_: int | float | str | None = Field(None, alias="from")
    to: int | float | str | None = None


class GoalCounts(_Strict):
    total: int
    reviewed: int
    achieved: int  # GAS 0 or higher


class Progress(_Strict):
    """From the first to the latest assessment, as the pilots measured it."""

    since: Date
    until: Date
    domains: dict[str, FromTo] = Field(default_factory=dict)
    ladder: FromTo | None = None
    igm: dict[str, FromTo] = Field(default_factory=dict)
    goals: GoalCounts
    profile: FromTo | None = None


class DueItem(_Strict):
    id: str
    reason_nl: str
    reason_en: str
    rule: str
    source: str
    due_on: Date | None = None  # the date it fell due (relative to the case's as_of, never the clock)


class Receipt(_Strict):
    """What an advice was made from, so that it can be told apart and replayed byte for byte
    (`wegwijzer replay`): the engine and rules versions, the input's schema version and hash
    (over the validated input, so the same case written differently hashes alike), the date
    it was advised as of (a Case's; an Assessment has none: its advice does not depend on the
    date) and the ids of the rules whose conditions held, per rule set."""

    engine_version: str
    rules_version: str
    schema_version: int
    as_of: Date | None = None
    input_hash: str
    fired: dict[str, list[str]] = Field(
        description="rule set (flowchart, profiles, lead; trajectory for a Case) -> rule ids that held, sorted")


_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__
_IMMUTABLE = (str, int, float, type(None), tuple, frozenset, Date)


def built(cls: type[_M], **values: Any) -> _M:
    """`cls(**values)` without validating again, for output pieces made per case on the hot
    path from the validated input and the loaded rules only (engine.resolve, engine.api).
    The same object validation gives: every field in the model's order (a default for one
    not given, a fresh one where validation would make one), the same fields set. Unlike
    `model_construct`, whose loop over the fields in Python costs as much as validating
    these models, the order and defaults are read once per class. `values` must be of the
    field's type already: nothing is checked or converted but the names (a TypeError)."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    template, required, fresh = plan
    fields = {**template, **values}
    if len(fields) != len(template) or not required <= values.keys():
        unknown, missing = sorted(set(values) - set(template)), sorted(required - set(values))
        raise TypeError(f"{cls.__name__}: unknown fields {unknown}, missing fields {missing}")
    for name, make in fresh:
        if name not in values:
            fields[name] = make()
    made = object.__new__(cls)
    _set(made, "__dict__", fields)
    _set(made, "__pydantic_fields_set__", set(values))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


def _plan(cls: type[BaseModel]) -> tuple[dict[str, Any], frozenset[str], tuple[tuple[str, Any], ...]]:
    """(every field -> its default, in the model's order; the required fields; the fields
    whose default is made anew for each object: a factory's, or a copy of a mutable one)."""
    if cls.model_config.get("extra") == "allow" or cls.__pydantic_post_init__ or cls.__private_attributes__:
        raise TypeError(f"{cls.__name__}: built() is for plain models only")
    template: dict[str, Any] = {}
    fresh = []
    for name, info in cls.model_fields.items():
        template[name] = None if info.is_required() else info.default
        if info.default_factory is not None:
            if info.default_factory_takes_validated_data:
                raise TypeError(f"{cls.__name__}.{name}: built() cannot call a default factory that reads the data")
            fresh.append((name, info.default_factory))
        elif not info.is_required() and not isinstance(info.default, _IMMUTABLE):
            fresh.append((name, lambda info=info: info.get_default(call_default_factory=True)))
    required = frozenset(name for name, info in cls.model_fields.items() if info.is_required())
    return template, required, tuple(fresh)


_PLANS: dict[type, tuple[dict[str, Any], frozenset[str], tuple[tuple[str, Any], ...]]] = {}


class Recommendation(_Strict):
    case_id: str | None
    municipality: Municipality
    rules_version: str
    client_profile: ClientProfile
    lead_coordinator: LeadCoordinator
    interventions: list[SuggestedIntervention]
    referrals: list[Referral]
    advice: list[Advice]
    trace: list[TraceStep]
    warnings: list[Warning]
    progress: Progress | None = None  # only for a Case
    due: list[DueItem] = Field(default_factory=list)
    receipt: Receipt | None = None  # what the advice was made from (engine.api adds it to every advice)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)
