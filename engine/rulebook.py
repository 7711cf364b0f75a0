"""Load the rule files (rules/*.yaml) into one checked, typed Rulebook.

Every error names the file and line. Cross references (intervention ids, organisations,
flowchart targets) are resolved here, once, so nothing unknown surfaces halfway through
evaluating a case.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .conditions import Cond, leaves, parse
from .errors import RuleError, suggest
from .model import DOMAIN_IDS
from .yamlload import LINE, LineDict, line_of, load_with_lines

RULE_FILES = (
    "interventions.yaml", "social_map.yaml", "leiden_flowchart.yaml",
    "helmond_profiles.yaml", "lead_coordinator.yaml", "resolution.yaml",
    "trajectory.yaml",  # loaded by engine.history, for a Case; here for the version and `check`
)
MUNICIPALITIES = ("leiden", "helmond", "tilburg")
SOURCE_PATTERN = r"^(practice|seed:L\d+(-\d+)?)(, ?(practice|seed:L\d+(-\d+)?))*$"


def default_rules_dir() -> Path:
    """The rules shipped in the wheel, or the repo's rules/ folder in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


# ------------------------------------------------------------------ file schemas


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    line: int = Field(0, alias=LINE)

    @model_validator(mode="before")
    @classmethod
    def _take_line(cls, data: Any) -> Any:
        if isinstance(data, LineDict):
            return {**data, LINE: data.line}
        return data


Source = Field(pattern=SOURCE_PATTERN)


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


class MunicipalityIn(_Schema):
    name: str
    pilot: PilotIn
    organisations: list[OrganisationIn]


class SocialMapFile(_Schema):
    municipalities: dict[Literal["leiden", "helmond", "tilburg"], MunicipalityIn]


class AdviceIn(_Schema):
    id: str
    text_nl: str
    text_en: str


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
    advice: AdviceIn | None = None
    next: str | None = None


class FlowchartFile(_Schema):
    start: str
    nodes: list[NodeIn] = Field(min_length=1)


class LabelsIn(_Schema):
    label_nl: str
    label_en: str


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


class SocialMapLeadSpec(_Schema):
    from_social_map: str
    role: str


class LeadRuleIn(_Schema):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    when: Any
    lead: Literal["pilot", "first_trusted"] | LeadSpec | SocialMapLeadSpec
    collaboration: dict[Literal["leiden", "helmond", "tilburg"],
                        Literal["multidisciplinary_team", "case_management", "central_contact", "referral"]]
    rationale_nl: str
    rationale_en: str
    source: str = Source


class LeadFile(_Schema):
    hit_policy: Literal["first"]
    roles: dict[str, LabelsIn]
    collaborations: dict[str, LabelsIn]
    rules: list[LeadRuleIn] = Field(min_length=1)


class TierIn(_Schema):
    id: str
    domain_self_reliance_at_most: int | None = Field(None, ge=1, le=5)
    interventions: list[str] = Field(default_factory=list)
    source: str = Source


class RankingIn(_Schema):
    tiers: list[TierIn] = Field(min_length=1)


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


class ResolutionFile(_Schema):
    ranking: RankingIn
    already_covered_by_support: dict[str, list[str]]
    consent: ConsentIn
    all_running: NothingNeededIn
    nothing_needed: NothingNeededIn


# ------------------------------------------------------------------ the loaded rulebook


@dataclass(frozen=True)
class Intervention:
    id: str
    label_nl: str
    label_en: str
    domain: str | None
    step: int
    source: str
    line: int


@dataclass(frozen=True)
class Service:
    organisation: str
    name: str
    intervention: str
    warm_handover: bool
    shares_data: bool
    source: str


@dataclass(frozen=True)
class Municipality:
    id: str
    name: str
    pilot_role: str
    pilot_organisation: str
    pilot_source: str
    organisations: dict[str, str]  # id -> name
    services: dict[str, Service]  # intervention id -> first organisation offering it


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    file: str
    line: int
    source: str
    question_nl: str | None = None
    question_en: str | None = None
    when: Cond | None = None
    yes: str | None = None
    no: str | None = None
    intervention: str | None = None
    reason_nl: str | None = None
    reason_en: str | None = None
    advice: AdviceIn | None = None
    next: str | None = None
    domains_asked: frozenset[str] = frozenset()  # life domains the condition asks about


@dataclass(frozen=True)
class Flowchart:
    file: str
    start: str
    nodes: dict[str, Node]  # in file order


@dataclass(frozen=True)
class Rule:
    """A profile or lead-coordinator rule (hit policy: first)."""

    id: str
    file: str
    line: int
    when: Cond
    rationale_nl: str
    rationale_en: str
    source: str
    profile: str | None = None
    lead: Any = None
    collaboration: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rulebook:
    directory: Path
    version: str
    interventions: dict[str, Intervention]
    municipalities: dict[str, Municipality]
    flowchart: Flowchart
    profile_labels: dict[str, LabelsIn]
    profile_rules: list[Rule]
    roles: dict[str, LabelsIn]
    collaborations: dict[str, LabelsIn]
    lead_rules: list[Rule]
    resolution: ResolutionFile
    raw: dict[str, Any]  # file name -> loaded data (with lines), for `check`
    # frozen output pieces that depend only on the rules, built on first use (engine.resolve)
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def file_path(self, name: str) -> str:
        return str(self.directory / name)


def _domains_asked(cond: Cond) -> frozenset[str]:
    return frozenset(leaf.field.split(".")[1] for leaf in leaves(cond) if leaf.field.startswith("domains."))


def rules_version(directory: Path) -> str:
    """Content hash of the rule files (not the test files): names and bytes, in a fixed order."""
    digest = hashlib.sha256()
    for name in RULE_FILES:
        path = directory / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()[:16]


def _validate(schema: type[BaseModel], data: Any, file: str) -> Any:
    if not isinstance(data, dict):
        raise RuleError(file, 1, "the file must hold a mapping at the top")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc if p != LINE)
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise RuleError(file, line_of(data, loc), f"{path}: {err['msg']}{extra}") from None


def load(directory: Path | str | None = None) -> Rulebook:
    directory = Path(directory) if directory else default_rules_dir()
    if not directory.is_dir():
        raise RuleError(str(directory), None, "rules folder not found")
    raw: dict[str, Any] = {}
    parsed: dict[str, Any] = {}
    schemas = {
        "interventions.yaml": InterventionsFile, "social_map.yaml": SocialMapFile,
        "leiden_flowchart.yaml": FlowchartFile, "helmond_profiles.yaml": ProfilesFile,
        "lead_coordinator.yaml": LeadFile, "resolution.yaml": ResolutionFile,
    }
    for name, schema in schemas.items():
        path = directory / name
        display = str(path)
        if not path.exists():
            raise RuleError(display, None, "rule file missing")
        raw[name] = load_with_lines(path, display)
        parsed[name] = _validate(schema, raw[name], display)

    def where(name: str) -> str:
        return str(directory / name)

    # interventions
    interventions: dict[str, Intervention] = {}
    for item in parsed["interventions.yaml"].interventions:
        if item.id in interventions:
            raise RuleError(where("interventions.yaml"), item.line, f"duplicate intervention id '{item.id}'")
        interventions[item.id] = Intervention(item.id, item.label_nl, item.label_en, item.domain, item.step, item.source, item.line)

    def known_intervention(iid: str, file: str, line: int, rule: str | None = None) -> None:
        if iid not in interventions:
            raise RuleError(where(file), line, f"unknown intervention '{iid}'{suggest(iid, interventions)}", rule)

    # social map
    municipalities: dict[str, Municipality] = {}
    smap = parsed["social_map.yaml"]
    for mid in MUNICIPALITIES:
        if mid not in smap.municipalities:
            raise RuleError(where("social_map.yaml"), getattr(raw["social_map.yaml"], "line", None), f"municipality '{mid}' missing")
        m = smap.municipalities[mid]
        orgs: dict[str, str] = {}
        services: dict[str, Service] = {}
        for org in m.organisations:
            if org.id in orgs:
                raise RuleError(where("social_map.yaml"), org.line, f"duplicate organisation '{org.id}' in {mid}")
            orgs[org.id] = org.name
            for svc in org.services:
                known_intervention(svc.intervention, "social_map.yaml", svc.line)
                services.setdefault(svc.intervention, Service(org.id, org.name, svc.intervention, svc.warm_handover, svc.shares_data, svc.source))
        if m.pilot.organisation not in orgs:
            raise RuleError(where("social_map.yaml"), m.pilot.line, f"pilot organisation '{m.pilot.organisation}' is not on the {mid} map{suggest(m.pilot.organisation, orgs)}")
        municipalities[mid] = Municipality(mid, m.name, m.pilot.role, m.pilot.organisation, m.pilot.source, orgs, services)

    # flowchart
    fc_file = where("leiden_flowchart.yaml")
    fc = parsed["leiden_flowchart.yaml"]
    nodes: dict[str, Node] = {}
    for n in fc.nodes:
        if n.id in nodes:
            raise RuleError(fc_file, n.line, f"duplicate node id '{n.id}'", n.id)
        when = None
        if n.type == "decision":
            for key in ("question_nl", "question_en", "yes", "no"):
                if not getattr(n, key):
                    raise RuleError(fc_file, n.line, f"decision node needs '{key}'", n.id)
            if n.when is None:
                raise RuleError(fc_file, n.line, "decision node needs 'when'", n.id)
            when = parse(n.when, fc_file, n.line, n.id)
        elif n.type == "action":
            for key in ("intervention", "reason_nl", "reason_en", "next"):
                if not getattr(n, key):
                    raise RuleError(fc_file, n.line, f"action node needs '{key}'", n.id)
            known_intervention(n.intervention, "leiden_flowchart.yaml", n.line, n.id)
        nodes[n.id] = Node(n.id, n.type, fc_file, n.line, n.source, n.question_nl, n.question_en, when,
                           n.yes, n.no, n.intervention, n.reason_nl, n.reason_en, n.advice, n.next,
                           _domains_asked(when) if when is not None else frozenset())
    for n in nodes.values():
        for key in ("yes", "no", "next"):
            target = getattr(n, key)
            if target is not None and target not in nodes:
                raise RuleError(fc_file, n.line, f"'{key}' points to unknown node '{target}'{suggest(target, nodes)}", n.id)
    if fc.start not in nodes:
        raise RuleError(fc_file, getattr(raw["leiden_flowchart.yaml"], "line", None), f"start node '{fc.start}' not found{suggest(fc.start, nodes)}")
    flowchart = Flowchart(fc_file, fc.start, nodes)

    # profiles
    pf_file = where("helmond_profiles.yaml")
    pf = parsed["helmond_profiles.yaml"]
    profile_rules = []
    seen: set[str] = set()
    for r in pf.rules:
        if r.id in seen:
            raise RuleError(pf_file, r.line, f"duplicate rule id '{r.id}'", r.id)
        seen.add(r.id)
        if r.profile not in pf.profiles:
            raise RuleError(pf_file, r.line, f"profile '{r.profile}' has no labels", r.id)
        profile_rules.append(Rule(r.id, pf_file, r.line, parse(r.when, pf_file, r.line, r.id),
                                  r.rationale_nl, r.rationale_en, r.source, profile=r.profile))

    # lead coordinator
    ld_file = where("lead_coordinator.yaml")
    ld = parsed["lead_coordinator.yaml"]
    lead_rules = []
    seen = set()
    for r in ld.rules:
        if r.id in seen:
            raise RuleError(ld_file, r.line, f"duplicate rule id '{r.id}'", r.id)
        seen.add(r.id)
        missing = [m for m in MUNICIPALITIES if m not in r.collaboration]
        if missing:
            raise RuleError(ld_file, r.line, f"collaboration missing for {missing}", r.id)
        lead: Any = r.lead
        if isinstance(r.lead, LeadSpec):
            lead = r.lead.prefer_support
        elif isinstance(r.lead, SocialMapLeadSpec):
            known_intervention(r.lead.from_social_map, "lead_coordinator.yaml", r.lead.line, r.id)
            missing = [m for m, mm in municipalities.items() if r.lead.from_social_map not in mm.services]
            if missing:
                raise RuleError(ld_file, r.lead.line, f"no organisation offers '{r.lead.from_social_map}' on the social map of {missing}", r.id)
            lead = {"from_social_map": r.lead.from_social_map, "role": r.lead.role}
        for kind in (lead if isinstance(lead, list) else [lead["role"]] if isinstance(lead, dict) else []):
            if kind not in ld.roles:
                raise RuleError(ld_file, r.line, f"role '{kind}' has no labels under 'roles'{suggest(kind, ld.roles)}", r.id)
        lead_rules.append(Rule(r.id, ld_file, r.line, parse(r.when, ld_file, r.line, r.id),
                               r.rationale_nl, r.rationale_en, r.source, lead=lead, collaboration=dict(r.collaboration)))

    resolution: ResolutionFile = parsed["resolution.yaml"]
    for tier in resolution.ranking.tiers:
        for iid in tier.interventions:
            known_intervention(iid, "resolution.yaml", tier.line)
    for kind, iids in resolution.already_covered_by_support.items():
        for iid in iids:
            known_intervention(iid, "resolution.yaml", resolution.line)

    return Rulebook(directory, rules_version(directory), interventions, municipalities, flowchart,
                    dict(pf.profiles), profile_rules, dict(ld.roles), dict(ld.collaborations), lead_rules,
                    resolution, raw)
