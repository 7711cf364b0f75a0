"""The Zelfredzaamheid-Matrix (ZRM 2017) as input, through the crosswalk in rules/zrm.yaml.

    data = fill_domains(load_crosswalk(book), data)   # an assessment's `zrm:` fills its `domains:`
    warning = note(crosswalk, assessment)             # per life domain, the ZRM scores behind it

An assessment may give `zrm` scores (the ZRM's 13 domains, 1-5) instead of or beside
`domains`. Each life domain the assessment does not score itself gets the combination (the
file's `combine`) of the ZRM scores listed under it; a life domain none of whose ZRM domains
is scored stays unasked. The note (a warning on the advice) says per life domain which ZRM
scores are behind it, and where the coach's own score differs, so the coach sees where the
scores came from. Loaded on first use: a plain assessment never pays for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from .errors import RuleError, suggest
from .model import DOMAIN_IDS, DOMAIN_LABELS_NL, ZRM_DOMAIN_IDS, Warning
from .rulebook import SOURCE_PATTERN, Rulebook, _Schema, _validate
from .yamlload import line_of, load_with_lines

FILE = "zrm.yaml"


class ZrmDomainIn(_Schema):
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)


class CrosswalkIn(_Schema):
    from_: list[str] = Field(alias="from", min_length=1)
    reason: str = Field(min_length=1)
    source: str = Field(pattern=SOURCE_PATTERN)


class ZrmFile(_Schema):
    zrm_domains: dict[str, ZrmDomainIn]
    combine: Literal["minimum"]
    crosswalk: dict[str, CrosswalkIn]


@dataclass(frozen=True)
class Crosswalk:
    labels_nl: dict[str, str]  # ZRM domain id -> its Dutch name
    feeds: dict[str, tuple[str, ...]]  # life domain -> the ZRM domains that feed it, in the file's order

    def derive(self, zrm: dict[str, Any], given: set[str]) -> dict[str, tuple[int, tuple[tuple[str, int], ...]]]:
        """Life domain -> (score, the ZRM scores it came from), for every life domain not in `given`."""
        out = {}
        for domain, sources in self.feeds.items():
            if domain in given:
                continue
            scored = tuple((z, zrm[z]) for z in sources if _score(zrm.get(z)))
            if scored:
                out[domain] = (min(score for _, score in scored), scored)
        return out


def _score(value: Any) -> bool:
    # only well-formed scores take part; a bad one is left for the model to name (zrm.<id>)
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


def load_crosswalk(book: Rulebook) -> Crosswalk:
    """rules/zrm.yaml, checked: every id known, every ZRM domain feeding some life domain."""
    cached = book.cache.get(FILE)
    if cached is not None:
        return cached
    path = Path(book.directory) / FILE
    display = str(path)
    if not path.exists():
        raise RuleError(display, None, "rule file missing (the ZRM crosswalk)")
    raw = load_with_lines(path, display)
    parsed = _validate(ZrmFile, raw, display)  # the first problem, at its line (as every rule file)
    for zid in parsed.zrm_domains:
        if zid not in ZRM_DOMAIN_IDS:
            raise RuleError(display, line_of(raw, ("zrm_domains", zid)),
                            f"zrm_domains: '{zid}' is not a ZRM 2017 domain{suggest(zid, ZRM_DOMAIN_IDS)}")
    missing = [z for z in ZRM_DOMAIN_IDS if z not in parsed.zrm_domains]
    if missing:
        raise RuleError(display, line_of(raw, ("zrm_domains",)), f"zrm_domains: no label for {missing}")
    fed: set[str] = set()
    for domain, entry in parsed.crosswalk.items():
        if domain not in DOMAIN_IDS:
            raise RuleError(display, line_of(raw, ("crosswalk", domain)),
                            f"crosswalk: '{domain}' is not a life domain{suggest(domain, DOMAIN_IDS)}")
        for zid in entry.from_:
            if zid not in parsed.zrm_domains:
                raise RuleError(display, entry.line, f"crosswalk.{domain}.from: unknown ZRM domain '{zid}'"
                                                     f"{suggest(zid, parsed.zrm_domains)}")
            fed.add(zid)
    unfed = [z for z in parsed.zrm_domains if z not in fed]
    if unfed:
        raise RuleError(display, line_of(raw, ("crosswalk",)), f"crosswalk: ZRM domain(s) {unfed} feed no life domain")
    crosswalk = Crosswalk({z: d.label_nl for z, d in parsed.zrm_domains.items()},
                          {d: tuple(e.from_) for d, e in parsed.crosswalk.items()})
    book.cache[FILE] = crosswalk
    return crosswalk


def fill_domains(crosswalk: Crosswalk, data: dict[str, Any]) -> dict[str, Any]:
    """The assessment with the life domains it does not score filled from its `zrm`; unchanged without."""
    zrm = data.get("zrm")
    if not isinstance(zrm, dict) or not zrm:
        return data
    given = data.get("domains")
    given = given if isinstance(given, dict) else {}
    derived = crosswalk.derive(zrm, set(given))
    if not derived:
        return data
    return {**data, "domains": {**given, **{d: {"self_reliance": score} for d, (score, _) in derived.items()}}}


def fill_case(crosswalk: Crosswalk, data: dict[str, Any]) -> dict[str, Any]:
    """A Case document with each assessment's life domains filled from its `zrm`."""
    assessments = data.get("assessments")
    if not isinstance(assessments, list):
        return data
    return {**data, "assessments": [fill_domains(crosswalk, a) if isinstance(a, dict) else a for a in assessments]}


def note(crosswalk: Crosswalk, assessment: Any) -> Warning | None:
    """What the current assessment's ZRM scores say per life domain, and where the coach's own score differs."""
    zrm = assessment.zrm
    if not zrm:
        return None
    parts_nl, parts_en = [], []
    for domain, (value, scored) in crosswalk.derive(zrm, set()).items():
        own = assessment.domains.get(domain)
        fed_nl = ", ".join(f"{crosswalk.labels_nl[z]} {s}" for z, s in scored)
        fed_en = ", ".join(f"{z} {s}" for z, s in scored)
        if own is not None and own.self_reliance != value:
            parts_nl.append(f"{DOMAIN_LABELS_NL[domain]} {own.self_reliance} (eigen score; de ZRM geeft {value}: {fed_nl})")
            parts_en.append(f"{domain} {own.self_reliance} (own score; the ZRM gives {value}: {fed_en})")
        else:
            parts_nl.append(f"{DOMAIN_LABELS_NL[domain]} {value} (uit {fed_nl})")
            parts_en.append(f"{domain} {value} (from {fed_en})")
    return Warning(
        code="domains_from_zrm", field="zrm",
        message_nl="Leefgebieden uit de Zelfredzaamheid-Matrix (de laagste score telt; rules/zrm.yaml): "
                   + "; ".join(parts_nl) + ". Kijk samen met de deelnemer of dit klopt.",
        message_en="Life domains from the Self-Sufficiency Matrix (the lowest score counts; rules/zrm.yaml): "
                   + "; ".join(parts_en) + ".",
    )
