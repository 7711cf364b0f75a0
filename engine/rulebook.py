"""Load the rule files (rules/*.yaml) into one checked, typed Rulebook.

Every error names the file and line. Cross references (intervention ids, organisations,
flowchart targets) are resolved here, once, so nothing unknown surfaces halfway through
evaluating a case.
"""

import hashlib
import os
import typing
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

import re

from .conditions import Compare, Cond, leaves, may_hold_in, parse, with_municipalities
from .errors import RuleError, suggest
from .facts import FIELDS, FieldSpec
from .model import MUNICIPALITY_PATTERN, SupportKind, Wish
from .linedict import LINE, LineDict, line_of
from .record import Plain, frozen_record

RULE_FILES = (
    # social_map.yaml: the municipalities before they were packs; absent now, but it keeps its
    # place here so that older rules (the store's snapshots, a git revision) hash and load as then
    "interventions.yaml", "social_map.yaml", "leiden_flowchart.yaml",
    "helmond_profiles.yaml", "lead_coordinator.yaml", "resolution.yaml",
    "trajectory.yaml",  # loaded by engine.history, for a Case; here for the version and `check`
    "override_reasons.yaml",  # why a coach sets a suggestion aside (the decision log, CDS Hooks)
    "zrm.yaml",  # loaded by engine.zrm, for an assessment with ZRM scores; likewise
)
LEGACY_FILES = ("social_map.yaml",)
# No list of municipalities here: each is a pack, a folder rules/municipalities/<id>/ (or one
# under a --packs folder, $WEGWIJZER_PACKS) holding municipality.yaml and social_map.yaml.
PACKS_DIR = "municipalities"
PACK_FILES = ("municipality.yaml", "social_map.yaml")
PACKS_ENV = "WEGWIJZER_PACKS"
CODE_PATTERN = r"^GM[0-9]{4}$"  # the CBS municipality code (ASCII digits: \d takes "GM０１９３" too)
MunicipalityId = typing.Annotated[str, Field(pattern=MUNICIPALITY_PATTERN)]
SUPPORT_KINDS: tuple[str, ...] = typing.get_args(SupportKind)
SOURCE_PATTERN = r"^(practice|seed:L\d+(-\d+)?)(, ?(practice|seed:L\d+(-\d+)?))*$"


def default_rules_dir() -> Path:
    """The rules shipped in the wheel, or the repo's rules/ folder in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


# ------------------------------------------------------------------ file schemas
# Here: the base of every rule file's schema (engine.history, zrm and register have theirs).
# The schemas themselves are in engine.ruleschema, made only when rule files are read: the
# Rulebook holds what resolution.yaml, the labels, a node's advice and override_reasons.yaml
# say as record.Plain objects (their fields as attributes), not as schema objects, so a
# rulebook read from the cache needs none of them.


class _Schema(BaseModel):
    # defer_build: a schema's validator is built when a file is first checked with it, not at
    # import, so a rulebook read from the cache (engine.rulecache) never builds them
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    line: int = Field(0, alias=LINE)

    @model_validator(mode="before")
    @classmethod
    def _take_line(cls, data: Any) -> Any:
        if isinstance(data, LineDict):
            return {**data, LINE: data.line}
        return data


Source = Field(pattern=SOURCE_PATTERN)


# The rule files' schemas are in engine.ruleschema, made when the rules are loaded rather than
# read from the cache; their names here still answer (the module's __getattr__ below).
_IN_RULESCHEMA = frozenset({
    "AdviceIn", "LabelsIn", "TierIn", "RankingIn", "StepPlanIn", "VariantIn", "ConsentIn", "NothingNeededIn",
    "SectionIn", "ReportIn", "ResolutionFile", "DECISIONS", "DecisionIn", "OverrideReasonIn", "OverrideReasonsFile",
    "OPTIONAL_SCHEMAS",
    "InterventionIn", "InterventionsFile", "ServiceIn", "OrganisationIn", "PilotIn", "Form", "MunicipalityIn",
    "SocialMapFile", "PackIn", "PackSocialMapFile", "PACK_SCHEMAS", "NodeIn", "FlowchartFile", "ProfileRuleIn",
    "ProfilesFile", "LeadSpec", "TrustedLeadSpec", "SocialMapLeadSpec", "LeadRuleIn", "LeadFile", "SCHEMAS",
})


def __getattr__(name: str) -> Any:
    if name in _IN_RULESCHEMA:
        from . import ruleschema

        return getattr(ruleschema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------ the loaded rulebook


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Intervention:
    id: str
    label_nl: str
    label_en: str
    domain: str | None
    step: int
    source: str
    line: int


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Service:
    organisation: str
    name: str
    intervention: str
    warm_handover: bool
    shares_data: bool
    source: str


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Municipality:
    id: str
    name: str
    pilot_role: str
    pilot_organisation: str
    pilot_source: str
    organisations: dict[str, str]  # id -> name
    services: dict[str, Service]  # intervention id -> first organisation offering it
    code: str = ""  # CBS, GM0546
    variant: str = ""  # an id under resolution.yaml `variants:`
    collaboration: dict[str, str] = field(default_factory=dict)  # lead rule id -> form
    file: str = ""  # its municipality.yaml


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
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
    advice: Plain | None = None  # ruleschema.AdviceIn's fields
    next: str | None = None
    domains_asked: frozenset[str] = frozenset()  # life domains the condition asks about
    waits_for: tuple[str, ...] = ()  # an action's step waits for these first (see ruleschema.NodeIn)


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Flowchart:
    file: str
    start: str
    nodes: dict[str, Node]  # in file order


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
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


@frozen_record  # @dataclass(frozen=True), cheaper to define (engine.record)
class Rulebook:
    directory: Path
    version: str
    interventions: dict[str, Intervention]
    municipalities: dict[str, Municipality]
    flowchart: Flowchart
    profile_labels: dict[str, Plain]  # each ruleschema.LabelsIn's fields, as are roles and collaborations
    profile_rules: list[Rule]
    roles: dict[str, Plain]
    collaborations: dict[str, Plain]
    lead_rules: list[Rule]
    resolution: Plain  # ruleschema.ResolutionFile's fields, its sections Plain too
    raw: dict[str, Any]  # file name -> loaded data (with lines), for `check`
    # the fields a condition may name, `municipality` taking this rulebook's ids
    fields: dict[str, FieldSpec] = field(default_factory=lambda: dict(FIELDS), compare=False, repr=False)
    # frozen output pieces that depend only on the rules, built on first use (engine.resolve)
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # override_reasons.yaml: the coach's answers to a suggestion and the reasons for setting one aside
    override_reasons: Plain | None = field(default=None, compare=False, repr=False)

    # rule file name (a pack's as municipalities/<id>/<file>) -> where it was read
    files: dict[str, Path] = field(default_factory=dict, compare=False, repr=False)

    def __getattr__(self, name: str) -> Any:
        # A rulebook read from the cache reads `raw` (which only `check`, hsds and the
        # municipality tool use) from its entry when first asked for (engine.rulecache)
        if name == "raw" and "_raw_pickle" in self.__dict__:
            from .rulecache import read_raw

            raw = read_raw(self.__dict__["_raw_pickle"])
            object.__setattr__(self, "raw", raw)  # once: it is a field, set as __init__ would
            return raw
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def file_path(self, name: str) -> str:
        return str(self.files.get(name) or self.directory / name)

    def municipality_id(self, given: Any) -> Any:
        """The id of the municipality `given` by id or by CBS code (GM0546 -> leiden); anything
        else as given, for the validation to refuse."""
        if isinstance(given, str) and given not in self.municipalities:
            for mid, m in self.municipalities.items():
                if m.code and m.code == given.upper():
                    return mid
        return given

    def municipality_names(self) -> list[str]:
        """What `municipality` may say: every id, then every CBS code."""
        return [*self.municipalities, *(m.code for m in self.municipalities.values() if m.code)]

    def unknown_municipality(self, mid: str) -> str | None:
        """Why `mid` is not a municipality of these rules (with the known ids), or None."""
        if self.municipality_id(mid) in self.municipalities:
            return None
        known = ", ".join(f"'{m}'" for m in self.municipalities)
        codes = ", ".join(m.code for m in self.municipalities.values() if m.code)
        return (f"unknown municipality '{mid}'{suggest(mid, self.municipalities)}; the rules know {known} "
                f"(or their CBS codes {codes}; a pack each in {PACKS_DIR}/)")


def _domains_asked(cond: Cond) -> frozenset[str]:
    return frozenset(leaf.field.split(".")[1] for leaf in leaves(cond) if leaf.field.startswith("domains."))


def rules_version(directory: Path, packs: "list[Path | str] | None" = None) -> str:
    """Content hash of the rule files (not the test files) and the packs' files: names and bytes,
    in a fixed order. `packs`: folders of packs outside `directory` (None: $WEGWIJZER_PACKS)."""
    return version_of_files({name: path.read_bytes() for name, path in rule_file_paths(directory, packs).items()})


def version_of_files(files: dict[str, bytes]) -> str:
    """The rules version of rule files given as bytes (a file of RULE_FILES left out counts as
    empty; the packs' files follow by name), so that rules kept elsewhere (the store's
    snapshots) are named as the folder they came from. Rules from before packs hash as then."""
    digest = hashlib.sha256()
    for name in [*RULE_FILES, *sorted(set(files) - set(RULE_FILES))]:
        digest.update(name.encode() + b"\0")
        digest.update(files.get(name, b""))
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()[:16]


def env_packs() -> list[Path]:
    """The pack folders named in $WEGWIJZER_PACKS (os.pathsep between them)."""
    return [Path(p) for p in os.environ.get(PACKS_ENV, "").split(os.pathsep) if p]


def pack_name(mid: str, file: str) -> str:
    """A pack file's name among the rule files: municipalities/<id>/<file>."""
    return f"{PACKS_DIR}/{mid}/{file}"


def rule_file_paths(directory: Path, packs: "list[Path | str] | None" = None) -> dict[str, Path]:
    """Name -> path of every rule file that makes up the rules: RULE_FILES present in
    `directory`, then each pack's files, from `directory`/municipalities/ and from every folder
    of `packs` (None: $WEGWIJZER_PACKS). A pack whose folder name is taken already is refused,
    naming both files."""
    directory = Path(directory)
    files = {name: directory / name for name in RULE_FILES if (directory / name).is_file()}
    owner: dict[str, Path] = {}
    outside = [Path(p) for p in (env_packs() if packs is None else packs)]
    seen: set[Path] = set()
    for base in [directory / PACKS_DIR, *outside]:
        if not base.is_dir():
            if base in outside:
                raise RuleError(str(base), None, "packs folder not found (--packs, $WEGWIJZER_PACKS)")
            continue
        if base.resolve() in seen:
            continue  # the rules' own packs, or a folder given twice: its packs are there once
        seen.add(base.resolve())
        if (base / "municipality.yaml").is_file():
            raise RuleError(str(base), None, f"a pack itself, not a folder of packs: give the folder that holds it "
                                             f"(--packs {base.parent})")
        for folder in sorted(base.iterdir()):
            if folder.name.startswith((".", "_")):
                continue
            if folder.is_symlink() and not folder.exists():  # a pack moved away: say so, do not drop it
                raise RuleError(str(folder), None, f"a link to a pack that is not there ({os.readlink(folder)})")
            if not folder.is_dir():
                continue
            main = folder / "municipality.yaml"
            if not main.is_file():
                raise RuleError(str(main), None, f"rule file missing: a pack folder holds {' and '.join(PACK_FILES)}")
            if folder.name in owner:
                raise RuleError(str(main), None, f"pack '{folder.name}' exists already: {owner[folder.name]}; "
                                                 "give this municipality another id (and folder)")
            owner[folder.name] = main
            for file in PACK_FILES:
                if (folder / file).is_file():  # a missing social_map.yaml: the loader and check say so
                    files[pack_name(folder.name, file)] = folder / file
    return files


def pack_names(raw: dict[str, Any]) -> dict[str, str]:
    """Pack folder -> the name of its municipality.yaml, for the packs among `raw`'s names."""
    out = {}
    for name in raw:
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == PACKS_DIR and parts[2] == "municipality.yaml":
            out[parts[1]] = name
    return out


def schema_of(name: str) -> type[BaseModel] | None:
    """The schema of a rule file, a pack's by its file name."""
    from .ruleschema import OPTIONAL_SCHEMAS, PACK_SCHEMAS, SCHEMAS

    if name.startswith(PACKS_DIR + "/"):
        return PACK_SCHEMAS.get(name.rsplit("/", 1)[-1])
    return SCHEMAS.get(name) or OPTIONAL_SCHEMAS.get(name)


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


def _raise(error: RuleError) -> None:
    raise error


def load(directory: Path | str | None = None, packs: "list[Path | str] | None" = None) -> Rulebook:
    """The checked rulebook; the first problem found is raised as a RuleError (file and line).
    `packs`: folders of municipality packs outside `directory` (None: $WEGWIJZER_PACKS)."""
    from .ruleschema import OPTIONAL_SCHEMAS, PACK_SCHEMAS, SCHEMAS, LeadSpec, SocialMapLeadSpec, TrustedLeadSpec, plain
    from .yamlload import load_with_lines

    directory = Path(directory) if directory else default_rules_dir()
    if not directory.is_dir():
        raise RuleError(str(directory), None, "rules folder not found")
    paths = rule_file_paths(directory, packs)
    version = version_of_files({name: path.read_bytes() for name, path in paths.items()})
    raw: dict[str, Any] = {}
    parsed: dict[str, Any] = {}
    for name in SCHEMAS:
        path = directory / name
        if not path.exists():
            raise RuleError(str(path), None, "rule file missing")
        raw[name] = load_with_lines(path, str(path))
    if "social_map.yaml" in paths:  # rules from before packs (a snapshot, an old revision)
        _packs_from_legacy(raw, paths)
    for name, schema in SCHEMAS.items():
        parsed[name] = _validate(schema, raw[name], str(directory / name))
    for name, schema in OPTIONAL_SCHEMAS.items():
        path = directory / name
        if path.exists():
            raw[name] = load_with_lines(path, str(path))
            parsed[name] = _validate(schema, raw[name], str(path))
    for name, path in paths.items():
        if name.startswith(PACKS_DIR + "/") and name not in raw:
            if not path.is_file():
                raise RuleError(str(path), None, "rule file missing: a pack folder holds " + " and ".join(PACK_FILES))
            raw[name] = load_with_lines(path, str(path))
    for name in pack_names(raw).values():
        social = name.rsplit("/", 1)[0] + "/social_map.yaml"
        if social not in raw:
            raise RuleError(str(paths[name].parent / "social_map.yaml"), None, "rule file missing")
        for each in (name, social):
            parsed[each] = _validate(PACK_SCHEMAS[each.rsplit("/", 1)[-1]], raw[each], str(paths[each]))
    checks = RuleChecks(directory, raw, _raise, paths).run()  # raises at the first problem
    conditions = checks.conditions

    interventions = {
        item.id: Intervention(item.id, item.label_nl, item.label_en, item.domain, item.step, item.source, item.line)
        for item in parsed["interventions.yaml"].interventions
    }
    municipalities: dict[str, Municipality] = {}
    for name in pack_names(raw).values():
        m = parsed[name]  # a PackIn
        organisations = parsed[name.rsplit("/", 1)[0] + "/social_map.yaml"].organisations
        services: dict[str, Service] = {}
        for org in organisations:
            for svc in org.services:
                services.setdefault(svc.intervention, Service(org.id, org.name, svc.intervention, svc.warm_handover, svc.shares_data, svc.source))
        municipalities[m.id] = Municipality(m.id, m.name, m.pilot.role, m.pilot.organisation, m.pilot.source,
                                            {org.id: org.name for org in organisations}, services,
                                            m.code, m.variant, dict(m.collaboration), str(paths.get(name, directory / name)))

    fc_name = "leiden_flowchart.yaml"
    fc_file = str(directory / fc_name)
    fc = parsed[fc_name]
    nodes: dict[str, Node] = {}
    for n in fc.nodes:
        when = conditions.get((fc_name, n.id)) if n.type == "decision" else None
        nodes[n.id] = Node(n.id, n.type, fc_file, n.line, n.source, n.question_nl, n.question_en, when,
                           n.yes, n.no, n.intervention, n.reason_nl, n.reason_en, plain(n.advice), n.next,
                           _domains_asked(when) if when is not None else frozenset(), tuple(n.waits_for))
    flowchart = Flowchart(fc_file, fc.start, nodes)

    pf_name = "helmond_profiles.yaml"
    pf = parsed[pf_name]
    profile_rules = [Rule(r.id, str(directory / pf_name), r.line, conditions[(pf_name, r.id)], r.rationale_nl, r.rationale_en,
                          r.source, profile=r.profile) for r in pf.rules]

    ld_name = "lead_coordinator.yaml"
    ld = parsed[ld_name]
    lead_rules = []
    for r in ld.rules:
        lead: Any = r.lead
        if isinstance(r.lead, LeadSpec):
            lead = r.lead.prefer_support
        elif isinstance(r.lead, TrustedLeadSpec):
            lead = {"prefer_trusted": r.lead.prefer_trusted}
        elif isinstance(r.lead, SocialMapLeadSpec):
            lead = {"from_social_map": r.lead.from_social_map, "role": r.lead.role}
        # the form per municipality, from the packs (only those where the rule can apply)
        forms = {mid: m.collaboration[r.id] for mid, m in municipalities.items() if r.id in m.collaboration}
        lead_rules.append(Rule(r.id, str(directory / ld_name), r.line, conditions[(ld_name, r.id)],
                               r.rationale_nl, r.rationale_en, r.source, lead=lead, collaboration=forms))

    return Rulebook(directory, version, interventions, municipalities, flowchart,
                    plain(dict(pf.profiles)), profile_rules, plain(dict(ld.roles)), plain(dict(ld.collaborations)), lead_rules,
                    plain(parsed["resolution.yaml"]), raw, checks.fields,
                    override_reasons=plain(parsed.get("override_reasons.yaml")), files=paths)


def shipped_codes() -> dict[str, str]:
    """The CBS code of each shipped pack, by id (for rules from before packs, which had none)."""
    import yaml

    codes = {}
    for main in sorted((default_rules_dir() / PACKS_DIR).glob("*/municipality.yaml")):
        data = yaml.safe_load(main.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            codes[main.parent.name] = data["code"]
    return codes


def _packs_from_legacy(raw: dict[str, Any], paths: dict[str, Path]) -> None:
    """Rules from before packs, read as packs (in memory, the files untouched, so their version
    stays theirs): each entry under social_map.yaml `municipalities:` with its line of
    resolution.yaml `variant_of_municipality` and its forms from the lead rules' `collaboration`."""
    from .ruleschema import SocialMapFile
    from .yamlload import load_with_lines

    name = "social_map.yaml"
    display = str(paths[name])
    data = load_with_lines(paths[name], display)
    _validate(SocialMapFile, data, display)
    resolution, lead = raw["resolution.yaml"], raw["lead_coordinator.yaml"]
    variants = resolution.pop("variant_of_municipality", None) or {}
    forms: dict[str, dict[str, Any]] = {}
    for rule in mappings(lead, "rules"):
        for mid, form in (rule.pop("collaboration", None) or {}).items():
            forms.setdefault(mid, {})[rule.get("id")] = form
    codes = shipped_codes()
    for mid, entry in data["municipalities"].items():
        if mid not in codes:
            raise RuleError(display, data["municipalities"].key_line(mid),
                            f"municipality '{mid}': rules from before municipality packs have no CBS code, and no shipped pack has one for it")
        pack = LineDict({"id": mid, "code": codes[mid], "name": entry["name"], "variant": variants.get(mid),
                         "pilot": entry["pilot"], "collaboration": forms.get(mid, {})})
        pack.line, pack.key_lines = entry.line, entry.key_lines
        social = LineDict({"organisations": entry["organisations"]})
        social.line, social.key_lines = entry.line, entry.key_lines
        for file, content in (("municipality.yaml", pack), ("social_map.yaml", social)):
            raw[pack_name(mid, file)] = content
            paths[pack_name(mid, file)] = paths[name]
    paths.pop(name)


# ------------------------------------------------------------------ the one set of rule checks


Report = Callable[[RuleError], None]


def mappings(data: Any, key: str) -> list[Any]:
    """The mappings in the list under `key` (anything else is the schema's to report)."""
    value = data.get(key) if isinstance(data, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def mapping(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def key_line(data: Any, key: Any) -> int | None:
    """The line of `key` in a loaded mapping, else the mapping's own line."""
    if isinstance(data, LineDict):
        return data.key_line(key)
    return getattr(data, "line", None)


class RuleChecks:
    """Every cross check of the rule files, on the loaded data (with lines), shared by the
    loader and `wegwijzer check`: the loader reports by raising (it stops at the first
    problem), check by collecting (it shows them all). Each message points at the line of
    the offending key (`yes:`, `next:`, `intervention:`), not at its node's first line.

    Works on data the schema may have refused (check goes on after schema errors): what is
    missing or of the wrong type is skipped here, the schema reports it."""

    def __init__(self, directory: Path, raw: dict[str, Any], report: Report, paths: dict[str, Path] | None = None):
        self.directory = directory
        self.raw = raw
        self.paths = paths or {}  # name -> file, where it is not directory/name (an outside pack)
        self._report = report
        self.interventions: dict[str, int | None] = {}  # id -> line
        self.by_pilot: set[str] = set()  # interventions the pilot professional does personally
        self.roles: dict[str, Any] = {}
        self.offered: dict[str, set[str]] = {}  # municipality -> interventions some organisation offers
        self.conditions: dict[tuple[str, str], Cond] = {}  # (file name, rule or node id) -> parsed condition
        self.municipalities: dict[str, int | None] = {}  # id -> line of `id:` in its pack
        self.packs: dict[str, str] = {}  # id -> the name of its municipality.yaml
        self.fields: dict[str, FieldSpec] = with_municipalities(())

    def file(self, name: str) -> str:
        return str(self.paths.get(name) or self.directory / name)

    def report(self, name: str, line: int | None, message: str) -> None:
        self._report(RuleError(self.file(name), line, message))

    def run(self) -> "RuleChecks":
        self.catalogue()
        self.roles = mapping(self.raw.get("lead_coordinator.yaml"), "roles")
        self.municipality_packs()
        self.flowchart()
        self.profiles()
        self.lead()
        self.resolution()
        self.override_reasons()
        return self

    def first_time(self, name: str, seen: dict[str, int | None], key: str, line: int | None, duplicate: str) -> bool:
        if key in seen:
            self.report(name, line, f"{duplicate} (first on line {seen[key]})")
            return False
        seen[key] = line
        return True

    def known_intervention(self, name: str, iid: Any, line: int | None, what: str) -> bool:
        if not isinstance(iid, str) or "interventions.yaml" not in self.raw:
            return True  # the schema reports a missing id; with no catalogue, nothing to compare with
        if iid not in self.interventions:
            self.report(name, line, f"{what}: unknown intervention '{iid}'{suggest(iid, self.interventions)}")
            return False
        return True

    def condition(self, name: str, owner: Any, rule_id: str) -> Cond | None:
        try:
            cond = parse(owner["when"], self.file(name), key_line(owner, "when"), rule_id, self.fields)
        except RuleError as exc:
            self._report(exc)
            return None
        self.conditions[(name, rule_id)] = cond
        return cond

    def catalogue(self) -> None:
        name = "interventions.yaml"
        for item in mappings(self.raw.get(name), "interventions"):
            iid = text(item.get("id"))
            if iid is not None and self.first_time(name, self.interventions, iid, key_line(item, "id"), f"duplicate intervention id '{iid}'"):
                if item.get("provider") == "pilot_professional":
                    self.by_pilot.add(iid)

    def municipality_packs(self) -> None:
        """Each pack: its folder is its id, its CBS code is its own, its variant is known, its
        social map names the pilot's organisation."""
        codes: dict[str, str] = {}  # code -> the name of the pack that has it
        variants = mapping(self.raw.get("resolution.yaml"), "variants")
        inside = (self.directory / PACKS_DIR).resolve()
        # the shipped packs first, so that an id or code taken twice is blamed on the outside pack
        for folder, name in sorted(pack_names(self.raw).items(), key=lambda item: (self._outside(item[1], inside), item[0])):
            pack = self.raw[name]
            if not isinstance(pack, dict):
                continue
            mid = text(pack.get("id"))
            if mid is None:
                continue
            if mid != folder:
                self.report(name, key_line(pack, "id"), f"id '{mid}' differs from the pack's folder name '{folder}'; name the folder as the id")
            if mid in self.municipalities:
                self.report(name, key_line(pack, "id"), f"municipality '{mid}' has a pack already: {self.file(self.packs[mid])}")
                continue
            self.municipalities[mid] = key_line(pack, "id")
            self.packs[mid] = name
            code = pack.get("code")
            if isinstance(code, str):
                if code in codes:
                    self.report(name, key_line(pack, "code"), f"code '{code}' is the code of another pack already: {self.file(codes[code])}; a CBS code names one municipality")
                else:
                    codes[code] = name
            variant = pack.get("variant")
            if variants and isinstance(variant, str) and variant not in variants:
                self.report(name, key_line(pack, "variant"), f"variant: '{mid}' needs one of {sorted(variants)} (resolution.yaml), got {variant!r}{suggest(variant, variants)}")
            self.pack_social_map(mid, pack, name.rsplit("/", 1)[0] + "/social_map.yaml")
        self.fields = with_municipalities(self.municipalities)

    def _outside(self, name: str, inside: Path) -> bool:
        return Path(self.file(name)).resolve().parent.parent != inside

    def pack_social_map(self, mid: str, pack: Any, name: str) -> None:
        social = self.raw.get(name)
        orgs: dict[str, int | None] = {}
        offered = self.offered.setdefault(mid, set())
        for org in mappings(social, "organisations"):
            oid = text(org.get("id"))
            if oid is None:
                continue
            self.first_time(name, orgs, oid, key_line(org, "id"), f"organisation '{oid}' appears twice in {mid}")
            for service in mappings(org, "services"):
                iid = service.get("intervention")
                if self.known_intervention(name, iid, key_line(service, "intervention"), f"{mid}/{oid}") and isinstance(iid, str):
                    offered.add(iid)
        pack_file = self.packs[mid]
        pilot = mapping(pack, "pilot")
        organisation = pilot.get("organisation")
        if isinstance(organisation, str) and social is not None and organisation not in orgs:
            self.report(pack_file, key_line(pilot, "organisation"), f"pilot organisation '{organisation}' is not on the {mid} map{suggest(organisation, orgs)}")
        role = pilot.get("role")
        if isinstance(role, str) and self.roles and role not in self.roles:
            self.report(pack_file, key_line(pilot, "role"), f"pilot role '{role}' has no labels under 'roles' in lead_coordinator.yaml")
        # going along to another organisation tells it about the client: that is sharing,
        # which needs the client's consent (seed:L2776-2779, seed:L2808-2811)
        for org in mappings(social, "organisations"):
            if org.get("id") == organisation:
                continue
            for service in mappings(org, "services"):
                if service.get("warm_handover") is True and service.get("shares_data") is False:
                    self.report(name, key_line(service, "shares_data"),
                                f"{mid}/{org.get('id')}: a warm handover to another organisation than the pilot's shares what is known of the client; set shares_data: true (consent)")

    def flowchart(self) -> None:
        name = "leiden_flowchart.yaml"
        data = self.raw.get(name)
        if not isinstance(data, dict):
            return
        ids: dict[str, int | None] = {}
        nodes = []
        for node in mappings(data, "nodes"):
            nid = text(node.get("id"))
            if nid is not None and self.first_time(name, ids, nid, key_line(node, "id"), f"duplicate node id '{nid}'"):
                nodes.append((nid, node))
        for nid, node in nodes:
            kind = node.get("type")
            if kind == "decision":
                for key in ("question_nl", "question_en"):
                    if not text(node.get(key)):
                        self.report(name, key_line(node, key), f"decision node '{nid}' needs '{key}'")
                for key in ("yes", "no"):
                    if not text(node.get(key)):
                        self.report(name, key_line(node, key), f"decision node '{nid}' is missing its '{key}' branch")
                if node.get("when") is None:
                    self.report(name, key_line(node, "when"), f"decision node '{nid}' needs 'when' (its condition)")
                else:
                    cond = self.condition(name, node, nid)
                    if cond is not None:
                        self.quoted_thresholds(name, node, nid, cond)
            elif kind == "action":
                iid = node.get("intervention")
                if not text(iid):
                    self.report(name, key_line(node, "intervention"), f"action node '{nid}' has no intervention, so no label to show")
                elif "interventions.yaml" in self.raw and iid not in self.interventions:
                    self.report(name, key_line(node, "intervention"), f"action node '{nid}' has no label: intervention '{iid}' is not in the catalogue (interventions.yaml){suggest(iid, self.interventions)}")
                for key in ("reason_nl", "reason_en"):
                    if not text(node.get(key)):
                        self.report(name, key_line(node, key), f"action node '{nid}' needs '{key}'")
                if not text(node.get("next")):
                    self.report(name, key_line(node, "next"), f"action node '{nid}' needs 'next' (where the chart goes on)")
                for dep in node.get("waits_for") or []:
                    self.known_intervention(name, dep, key_line(node, "waits_for"), f"action node '{nid}': waits_for")
            for key in ("yes", "no", "next"):
                target = text(node.get(key))
                if target is not None and target not in ids:
                    self.report(name, key_line(node, key), f"'{nid}' {key} points to unknown node '{target}'{suggest(target, ids)}")
        start = text(data.get("start"))
        if start is not None and start not in ids:
            self.report(name, key_line(data, "start"), f"start node '{start}' not found{suggest(start, ids)}")

    # A question that quotes a threshold ("2 of lager") must say the condition's own number, so
    # that a trainer who moves `lte: 2` to `lte: 3` is told the question now says something else.
    # Each phrase gives (direction, number); 'minder dan 3' means at most 2. Compiled when rules
    # are checked (re keeps them), not at import: a rulebook from the cache checks nothing.
    QUOTED = (
        (r"(\d+)%? (?:of lager|or lower)", "at_most", 0),
        (r"(\d+)%? (?:of hoger|or higher|of meer|or more)", "at_least", 0),
        (r"(?:minder dan|lager dan|jonger dan|fewer than|lower than|younger than) (\d+)", "at_most", -1),
    )

    def quoted_thresholds(self, name: str, node: Any, nid: str, cond: Cond) -> None:
        said: set[tuple[str, int]] = set()
        for leaf in leaves(cond):
            if not isinstance(leaf, Compare) or leaf.op not in ("lt", "lte", "gt", "gte") or isinstance(leaf.value, bool):
                continue
            v = leaf.value
            if not isinstance(v, int):
                continue
            # the number read either way: a leaf may sit under `not`
            said |= {"lte": {("at_most", v), ("at_least", v + 1)}, "lt": {("at_most", v - 1), ("at_least", v)},
                     "gte": {("at_least", v), ("at_most", v - 1)}, "gt": {("at_least", v + 1), ("at_most", v)}}[leaf.op]
        for key in ("question_nl", "question_en"):
            question = text(node.get(key)) or ""
            for pattern, direction, shift in self.QUOTED:
                for match in re.finditer(pattern, question):
                    quoted = (direction, int(match.group(1)) + shift)
                    if quoted not in said:
                        self.report(name, key_line(node, key),
                                    f"decision node '{nid}': {key} says '{match.group(0)}', but its condition has no such threshold; say the condition's number (or change the condition)")

    def rules(self, name: str) -> list[Any]:
        """The rules of a first-hit file; duplicate ids reported, conditions parsed."""
        seen: dict[str, int | None] = {}
        out = []
        for rule in mappings(self.raw.get(name), "rules"):
            rid = text(rule.get("id")) or "?"
            self.first_time(name, seen, rid, key_line(rule, "id"), f"duplicate rule id '{rid}'")
            if "when" in rule:
                self.condition(name, rule, rid)
            out.append(rule)
        return out

    def profiles(self) -> None:
        name = "helmond_profiles.yaml"
        labels = mapping(self.raw.get(name), "profiles")
        for rule in self.rules(name):
            profile = rule.get("profile")
            if isinstance(profile, str) and labels and profile not in labels:
                self.report(name, key_line(rule, "profile"), f"rule '{rule.get('id')}': profile '{profile}' has no labels under 'profiles'{suggest(profile, labels)}")

    def lead(self) -> None:
        name = "lead_coordinator.yaml"
        collaborations = mapping(self.raw.get(name), "collaborations")
        rule_ids: list[str] = []
        for rule in self.rules(name):
            rid = text(rule.get("id"))
            if rid is not None:
                rule_ids.append(rid)
            lead = rule.get("lead")
            for key in ("prefer_support", "prefer_trusted"):
                kinds = lead.get(key) if isinstance(lead, dict) else None
                for kind in kinds if isinstance(kinds, list) else []:
                    if self.roles and isinstance(kind, str) and kind not in self.roles:
                        self.report(name, key_line(lead, key), f"rule '{rid}': role '{kind}' has no labels under 'roles'{suggest(kind, self.roles)}")
            if isinstance(lead, dict) and "from_social_map" in lead:
                iid, role = lead.get("from_social_map"), lead.get("role")
                line = key_line(lead, "from_social_map")
                if self.known_intervention(name, iid, line, f"rule '{rid}': from_social_map") and isinstance(iid, str) and self.offered:
                    missing = [m for m in self.municipalities if m in self.offered and iid not in self.offered[m]]
                    if missing:
                        self.report(name, line, f"rule '{rid}': no organisation offers '{iid}' on the social map of {', '.join(missing)}")
                if isinstance(role, str) and self.roles and role not in self.roles:
                    self.report(name, key_line(lead, "role"), f"rule '{rid}': role '{role}' has no labels under 'roles'{suggest(role, self.roles)}")
        self.pack_forms(rule_ids, collaborations)

    def pack_forms(self, rule_ids: list[str], collaborations: dict[str, Any]) -> None:
        """Each pack gives a form for every lead rule that can apply in it (a rule for Helmond
        alone asks no other city); a form for another id is an error, for a rule that cannot
        apply there a warning of `check`'s."""
        from .ruleschema import Form  # loading the rule files made it already

        known_forms = typing.get_args(Form)
        name = "lead_coordinator.yaml"
        for mid, pack_file in self.packs.items():
            pack = self.raw[pack_file]
            forms = mapping(pack, "collaboration")
            missing = [rid for rid in rule_ids
                       if rid not in forms and ((name, rid) not in self.conditions or may_hold_in(self.conditions[(name, rid)], mid))]
            if missing and isinstance(pack.get("collaboration", {}), dict):
                self.report(pack_file, key_line(pack, "collaboration"),
                            f"collaboration missing for lead rule {', '.join(missing)} (a form for every lead rule of lead_coordinator.yaml that can apply in {mid})")
            for rid, form in forms.items():
                if rule_ids and rid not in rule_ids:
                    self.report(pack_file, key_line(forms, rid), f"collaboration for '{rid}', which is not a rule of lead_coordinator.yaml{suggest(str(rid), rule_ids)}")
                # a form outside Form is the schema's error already (one line, with the four forms)
                if isinstance(form, str) and collaborations and form not in collaborations and form in known_forms:
                    self.report(pack_file, key_line(forms, rid), f"rule '{rid}': collaboration '{form}' has no labels under 'collaborations'{suggest(form, collaborations)}")

    def resolution(self) -> None:
        name = "resolution.yaml"
        data = self.raw.get(name)
        ranking = mapping(data, "ranking")
        tiers = mappings(ranking, "tiers")
        for tier in tiers:
            for key in ("interventions", "when_domain_acute"):
                for iid in tier.get(key) if isinstance(tier.get(key), list) else []:
                    self.known_intervention(name, iid, key_line(tier, key), f"tier '{tier.get('id')}'")
        for iid in ranking.get("order") if isinstance(ranking.get("order"), list) else []:
            self.known_intervention(name, iid, key_line(ranking, "order"), "ranking.order")
        wishes = mapping(ranking, "wishes")
        for wish, iids in wishes.items():
            for iid in iids if isinstance(iids, list) else []:
                self.known_intervention(name, iid, key_line(wishes, wish), f"ranking.wishes.{wish}")
        plan = mapping(data, "step_plan")
        for key in ("needs_trust", "one_at_a_time", "never_now"):
            for iid in plan.get(key) if isinstance(plan.get(key), list) else []:
                self.known_intervention(name, iid, key_line(plan, key), f"step_plan.{key}")
        after = mapping(plan, "after")
        for iid, firsts in after.items():
            for each in [iid, *(firsts if isinstance(firsts, list) else [])]:
                self.known_intervention(name, each, key_line(after, iid), "step_plan.after")
        decisions = {text(n.get("id")) for n in mappings(self.raw.get("leiden_flowchart.yaml"), "nodes") if n.get("type") == "decision"}
        for qid in plan.get("trust_not_awaited_when") if isinstance(plan.get("trust_not_awaited_when"), list) else []:
            if "leiden_flowchart.yaml" in self.raw and qid not in decisions:
                self.report(name, key_line(plan, "trust_not_awaited_when"),
                            f"step_plan.trust_not_awaited_when: '{qid}' is not a decision of the flowchart{suggest(str(qid), [d for d in decisions if d])}")
        tier_ids = [tier.get("id") for tier in tiers]
        for key in ("urgent_tiers", "groundwork_tiers"):
            for tier_id in plan.get(key) if isinstance(plan.get(key), list) else []:
                if tier_ids and tier_id not in tier_ids[:-1]:
                    self.report(name, key_line(plan, key), f"step_plan: '{tier_id}' is not a ranking tier before the last{suggest(str(tier_id), [str(t) for t in tier_ids])}")
        variants = mapping(data, "variants")
        for vid, variant in variants.items():
            focus = variant.get("focus") if isinstance(variant, dict) else None
            for iid in focus if isinstance(focus, list) else []:
                self.known_intervention(name, iid, key_line(variant, "focus"), f"variant '{vid}'")
        report = mapping(data, "report")
        starts = [section.get("from") for section in mappings(report, "sections")]
        if all(isinstance(start, int) for start in starts) and starts != sorted(set(starts)):
            self.report(name, key_line(report, "sections"), "report.sections: 'from' lines must rise, each used once")
        covered = mapping(data, "already_covered_by_support")
        for kind, iids in covered.items():
            if kind not in SUPPORT_KINDS:
                self.report(name, key_line(covered, kind), f"already_covered_by_support: '{kind}' is not a kind of support{suggest(str(kind), SUPPORT_KINDS)}")
            for iid in iids if isinstance(iids, list) else []:
                self.known_intervention(name, iid, key_line(covered, kind), f"already_covered_by_support.{kind}")

    def override_reasons(self) -> None:
        name = "override_reasons.yaml"
        seen: dict[str, int | None] = {}
        for reason in mappings(self.raw.get(name), "reasons"):
            rid = text(reason.get("id"))
            if rid is not None:
                self.first_time(name, seen, rid, key_line(reason, "id"), f"duplicate reason id '{rid}'")
