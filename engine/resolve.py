"""Findings -> one recommendation: walk the flowchart, rank, pick one profile and one lead.

Policy (tiers, coverage by involved professionals, consent texts) comes from
resolution.yaml; this module only applies it.
"""
from __future__ import annotations

from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable

from .errors import EvaluationError, suggest
from .model import (
    DOMAIN_IDS, DOMAIN_LABELS_NL, Advice, Assessment, ClientProfile, LeadCoordinator, Receipt, Recommendation,
    Referral, SuggestedIntervention, TraceStep, Warning_, built,
)
from .rulebook import Node, Rule, Rulebook

NO_PRIORITY = 10  # after every client priority (1-9)


@lru_cache(maxsize=64)
def _stem(file: str) -> str:
    return Path(file).stem


@lru_cache(maxsize=64)
def _name(file: str) -> str:
    return Path(file).name


def rule_ref(file: str, rule_id: str, book: Rulebook | None = None) -> str:
    """`<rule set>/<rule id>`: the rule set as resolution.yaml names it (default: the file's stem)."""
    stem = _stem(file)
    if book is not None:
        stem = book.resolution.rule_set_names.get(stem, stem)
    return f"{stem}/{rule_id}"


def source_label(book: Rulebook, source: str) -> str:
    """`seed:L1519-1525, practice` as a coach reads it: the report's title with the section each
    cited line falls in, and 'praktijk' for what the report does not say (resolution.yaml `report`)."""
    def build() -> str:
        report = book.resolution.report
        sections: dict[str, list[str]] = {}
        practice = False
        for part in (p.strip() for p in source.split(",")):
            if part == "practice":
                practice = True
                continue
            lines = part.removeprefix("seed:L")
            first = int(lines.split("-")[0])
            title = next((s.title for s in reversed(report.sections) if s.from_ <= first), report.sections[0].title)
            sections.setdefault(title, []).append(lines)
        parts = [f"‘{title}’ (r. {', '.join(lines)})" for title, lines in sections.items()]
        label = f"{report.title_nl}: {'; '.join(parts)}" if parts else ""
        if practice:
            label = f"{label}; praktijk (niet uit het rapport)" if label else "praktijk (niet uit het rapport)"
        return label

    return _cached(book, ("source_label", source), build)


def _node_step(book: Rulebook, node: Node | Rule, outcome: str, kind: str | None = None) -> TraceStep:
    """Trace steps are frozen and take few distinct values: built once per rulebook, shared (hot path)."""
    key = ("step", node.file, node.id, outcome)
    step = book.cache.get(key)  # (hot path) found without making the builder below
    if step is not None:
        return step
    return _cached(book, key, lambda: TraceStep(
        rule=rule_ref(node.file, node.id, book), file=_name(node.file), line=node.line,
        kind=kind or node.type, outcome=outcome, source=node.source))


def walk(book: Rulebook, fired: set[str]) -> list[tuple[Node, str]]:
    """The path through the flowchart: (node, branch taken) from start to end."""
    nodes = book.flowchart.nodes
    path: list[tuple[Node, str]] = []
    seen: set[str] = set()
    current: str | None = book.flowchart.start
    while current is not None:
        if current in seen:
            raise EvaluationError(f"{book.flowchart.file}: the flowchart loops at node '{current}'")
        seen.add(current)
        node = nodes[current]
        if node.type == "decision":
            branch = "yes" if node.id in fired else "no"
            path.append((node, branch))
            current = node.yes if branch == "yes" else node.no
        elif node.type == "action":
            path.append((node, "action"))
            current = node.next
        else:
            path.append((node, "end"))
            current = None
    return path


def first_hit(rules: list[Rule], fired: set[str], what: str) -> Rule:
    for rule in rules:  # hit policy: first, in file order
        if rule.id in fired:
            return rule
    raise EvaluationError(f"no {what} rule matched; the last {what} rule should hold for every case")


class _FlowNode:
    """One flowchart node as the walk reads it, with its trace steps built once (hot path)."""

    __slots__ = ("node", "id", "decision", "action", "yes", "no", "next", "domains_asked", "intervention",
                 "domain", "yes_step", "no_step", "steps")

    def __init__(self, book: Rulebook, node: Node):
        self.node, self.id = node, node.id
        self.decision = node.type == "decision"
        self.action = node.type == "action"
        self.yes, self.no, self.next = node.yes, node.no, node.next
        self.domains_asked = node.domains_asked if node.when is not None else frozenset()
        self.intervention = node.intervention
        self.domain = book.interventions[node.intervention].domain if self.action else None
        self.yes_step = _node_step(book, node, "yes") if self.decision else None
        self.no_step = _node_step(book, node, "no") if self.decision else None
        self.steps: dict[str, TraceStep] = {}  # any other outcome -> its (frozen, shared) trace step


def _flow_table(book: Rulebook) -> dict[str, _FlowNode]:
    table = book.cache.get(_FLOW_TABLE)  # (hot path) found without making the builder below
    if table is not None:
        return table
    return _cached(book, _FLOW_TABLE, lambda: {nid: _FlowNode(book, node) for nid, node in book.flowchart.nodes.items()})


_FLOW_TABLE = ("flow_table",)


def _trace_step(book: Rulebook, flow: _FlowNode, outcome: str) -> TraceStep:
    step = flow.steps.get(outcome)
    if step is None:
        step = flow.steps[outcome] = _node_step(book, flow.node, outcome)
    return step


def resolve(book: Rulebook, assessment: Assessment, fired: dict[str, set[str]],
            receipt: Receipt | None = None) -> Recommendation:
    """The recommendation for a validated assessment and the rule ids that fired per rule set;
    `receipt`, when the caller has it, goes in as it is built (engine.api.receipt)."""
    a = assessment
    trace: list[TraceStep] = []
    findings: list[Node] = []
    advice: list[Advice] = []
    running = a.current_interventions
    covered: dict[str, str] = {}
    for support in a.existing_support:
        for iid in book.resolution.already_covered_by_support.get(support.kind, ()):
            covered.setdefault(iid, support.kind)
    suggested_ids: set[str] = set()
    addressed: set[str | None] = set()  # life domains the path does something about
    called_for = False  # whether the path reaches any action at all
    talked = False  # whether a decision gave its own advice (then that says what to do)
    table = _flow_table(book)
    fired_flow = fired["flowchart"]
    current: str | None = book.flowchart.start
    append = trace.append
    for _ in range(len(table) + 1):  # a longer path can only be a loop
        if current is None:
            break
        flow = table[current]
        if flow.decision:
            if flow.id in fired_flow:
                if flow.domains_asked:
                    addressed.update(flow.domains_asked)
                if flow.node.advice:  # a decision's advice: something to talk about, not a referral
                    _add_advice(book, advice, flow.node)
                    talked = True
                append(flow.yes_step)
                current = flow.yes
            else:
                append(flow.no_step)
                current = flow.no
            continue
        if flow.action:
            called_for = True
            iid = flow.intervention
            addressed.add(flow.domain)
            current = flow.next
            if iid in running:
                outcome = "already_running"
            elif iid in covered:
                outcome = f"covered_by_support:{covered[iid]}"
            elif iid in suggested_ids:
                outcome = "duplicate"
            else:
                outcome = "suggested"
                suggested_ids.add(iid)
                node = flow.node
                findings.append(node)
                if node.advice:
                    _add_advice(book, advice, node)
        else:
            outcome, current = "end", None
        step = flow.steps.get(outcome)
        append(step if step is not None else _trace_step(book, flow, outcome))
    else:
        walk(book, fired_flow)  # raises the loop error, naming the node

    # a flowchart decision that waives 'trust first' (resolution.yaml step_plan.trust_not_awaited_when)
    # (not for a client who declines the trajectory: what they ask for comes after trust)
    trust_waived = a.open_to_support and not _policy(book).trust_waivers.isdisjoint(fired_flow)
    interventions = rank(book, a, findings, frozenset(covered), trust_waived)
    referrals, warnings = refer(book, a, interventions)

    cache = book.cache
    for ref in referrals:
        if ref.consent_required:
            key = ("consent", ref.organisation, ref.name, ref.consent_given)
            item = cache.get(key)  # (hot path) found without making the builder
            advice.append(item if item is not None else _cached(book, key, lambda: _consent_advice(book, ref)))
    if not interventions and a.open_to_support and not talked:
        # nothing new: either nothing was called for, or all of it is already running
        key = "all_running" if called_for else "nothing_needed"
        text = getattr(book.resolution, key)
        advice.append(_cached(book, (key,), lambda: Advice(
            id=key, text_nl=text.text_nl, text_en=text.text_en, rule=f"resolution/{key}", source=text.source)))

    profile_rule = first_hit(book.profile_rules, fired["profiles"], "profile")
    profile = cache.get(("profile", profile_rule.id))  # (hot path) found without making the builder
    if profile is None:
        labels = book.profile_labels[profile_rule.profile]
        profile = _cached(book, ("profile", profile_rule.id), lambda: ClientProfile(
            id=profile_rule.profile, label_nl=labels.label_nl, label_en=labels.label_en,
            rationale=profile_rule.rationale_nl, rationale_en=profile_rule.rationale_en,
            rule=rule_ref(profile_rule.file, profile_rule.id, book)))
    lead_rule = first_hit(book.lead_rules, fired["lead"], "lead coordinator")
    lead = choose_lead(book, a, lead_rule)
    for rule in (profile_rule, lead_rule):
        trace.append(_node_step(book, rule, "chosen", "profile" if rule.profile else "lead_coordinator"))

    warnings = input_warnings(book, a) + unanswered_domains(book, a, addressed) + warnings
    overflow = [item for item in interventions if item.urgent and item.phase != "now"]
    if overflow:
        warnings.append(_cached(book, ("urgent_overflow", tuple(i.id for i in overflow)), lambda: Warning_(
            code="urgent_overflow", field=None,
            message_nl=f"Meer urgente zaken dan in één keer passen; daarna meteen: {', '.join(i.label_nl for i in overflow)}.",
            message_en=f"More urgent matters than fit at once; straight after: {', '.join(i.label_en for i in overflow)}.",
        )))
    # every piece is the validated assessment's, the rules' or built here from them, and every
    # list is this case's own: built, not validated again (hot path)
    return built(
        Recommendation, case_id=a.case_id, municipality=a.municipality, rules_version=book.version,
        client_profile=profile, lead_coordinator=lead, interventions=interventions,
        referrals=referrals, advice=advice, trace=trace, warnings=warnings, receipt=receipt,
    )


def _consent_advice(book: Rulebook, ref: Referral) -> Advice:
    consent = book.resolution.consent
    template_nl, template_en = (consent.given_nl, consent.given_en) if ref.consent_given else (consent.missing_nl, consent.missing_en)
    return Advice(id=f"consent_{ref.organisation}", text_nl=template_nl.format(name=ref.name),
                  text_en=template_en.format(name=ref.name), rule="resolution/consent", source=consent.source)


def _add_advice(book: Rulebook, advice: list[Advice], node: Node) -> None:
    item = _cached(book, ("advice", node.id), lambda: Advice(
        id=node.advice.id, text_nl=node.advice.text_nl, text_en=node.advice.text_en,
        rule=rule_ref(node.file, node.id, book), source=node.source))
    if all(a.id != item.id for a in advice):
        advice.append(item)


def _node_waits(a: Assessment, findings: list[Node], covered: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Per suggested intervention whose action node names `waits_for` (care before work): the
    steps it waits for that are in the plan, running or covered by an involved professional;
    the first one listed when none of them is (the care still comes first)."""
    waiting = [node for node in findings if node.waits_for]
    if not waiting:
        return {}
    present = {node.intervention for node in findings} | set(a.current_interventions) | covered
    return {node.intervention: tuple(d for d in node.waits_for if d in present) or node.waits_for[:1] for node in waiting}


class _Policy:
    """resolution.yaml's ranking and step plan in the shapes the hot path reads, built once per rulebook."""

    __slots__ = ("placing", "rest_tier", "focus", "wishes", "never_now", "needs_trust", "one_at_a_time",
                 "urgent_tiers", "groundwork_tiers", "after", "now_at_most", "conversations_for_trust", "trust_waivers")

    def __init__(self, book: Rulebook):
        plan = book.resolution.step_plan
        self.placing = _placing(book)
        self.rest_tier = placing_rest(book)
        self.focus = {m: _focus(book, m) for m in book.municipalities}
        self.wishes = {wish: frozenset(iids) for wish, iids in book.resolution.ranking.wishes.items()}
        self.never_now = frozenset(plan.never_now)
        self.needs_trust = frozenset(plan.needs_trust)
        self.one_at_a_time = frozenset(plan.one_at_a_time)
        self.urgent_tiers, self.groundwork_tiers = _tier_kinds(book)
        self.after = {iid: tuple(deps) for iid, deps in plan.after.items()}
        self.now_at_most = plan.now_at_most
        self.conversations_for_trust = plan.conversations_for_trust
        self.trust_waivers = frozenset(plan.trust_not_awaited_when)


def _policy(book: Rulebook) -> _Policy:
    policy = book.cache.get(_POLICY)  # (hot path: three times a case) found without making the builder below
    if policy is not None:
        return policy
    return _cached(book, _POLICY, lambda: _Policy(book))


_POLICY = ("policy",)


def rank(book: Rulebook, a: Assessment, findings: list[Node],
         covered: frozenset[str] = frozenset(), trust_waived: bool = False) -> list[SuggestedIntervention]:
    """The step plan: findings ordered "do first, first" and given a phase (resolution.yaml).

    Order: safety, acute and groundwork tiers first (in their lists' order); then the client
    leads: what serves the domain ranked 1, then what answers a wish, then the municipality's
    variant focus, the client's further priorities, the money order, the smaller step and
    flowchart order. Phases follow in `plan_phases`."""
    policy = _policy(book)
    placing = policy.placing
    focus = policy.focus[a.municipality]  # every municipality has a variant (check holds it)
    unfocused = len(focus)
    wished = _wished(policy, a)
    rest_tier = policy.rest_tier
    never_now = policy.never_now
    after = policy.after
    domains = a.domains
    node_waits = _node_waits(a, findings, covered)
    care_first = frozenset(dep for deps in node_waits.values() for dep in deps) if node_waits else frozenset()
    may_wait = bool(node_waits)  # whether a step may wait for another: else the rank order stands
    keyed = []
    for position, node in enumerate(findings):
        iid = node.intervention
        if iid in after:
            may_wait = True
        acute_checks, tier, order, step, domain = placing[iid]
        score = domains.get(domain) if domain else None
        if score is not None:
            for index, at_most in acute_checks:  # an acute tier takes a listed domain at or below its threshold
                if score.self_reliance <= at_most:
                    tier = index
                    break
        priority = score.priority if score is not None and score.priority is not None else NO_PRIORITY
        if tier < rest_tier:
            key: tuple = (tier, order, priority, step, position)
        else:
            # care that a step waits for (care before work) comes first, then the client leads
            band = 0 if iid in care_first else 1 if priority == 1 else 2 if iid in wished else 3
            # what is never a first step (a regular group) comes after the rest of the plan
            key = (tier, iid in never_now, band, focus.get(iid, unfocused), priority, order, step, position)
        keyed.append((key, node, tier))
    keyed.sort(key=_first)
    ordered = [(node, tier) for _, node, tier in keyed]
    if may_wait:
        ordered = _after_what_it_waits_for(policy, ordered, node_waits)
    phases = plan_phases(book, a, [(node.intervention, tier) for node, tier in ordered], node_waits, trust_waived)
    urgent_tiers = policy.urgent_tiers
    municipality = a.municipality
    cache = book.cache
    # now, then next, then later; rank order within each
    plan: dict[str, list[SuggestedIntervention]] = {"now": [], "next": [], "later": []}
    for (node, tier), (phase, waits) in zip(ordered, phases):
        urgent = tier in urgent_tiers
        # (hot path: several a case) the usual answer found before _suggestion is called
        made = cache.get(("suggestion", node.id, municipality, urgent, phase, waits))
        plan[phase].append(made if made is not None else _suggestion(book, node, municipality, urgent, phase, waits))
    return plan["now"] + plan["next"] + plan["later"]


_first = itemgetter(0)  # sort keys taken in C: no Python call per item (hot path)


def _after_what_it_waits_for(policy: _Policy, ordered: list[tuple[Node, int]],
                             node_waits: dict[str, tuple[str, ...]] | None = None) -> list[tuple[Node, int]]:
    """The ranked list with every step moved behind the steps it waits for (step_plan.after and
    an action node's own `waits_for`), otherwise in rank order, so that the first group or
    course is one that can start."""
    after, node_waits = policy.after, node_waits or {}
    place = {node.intervention: index for index, (node, _) in enumerate(ordered)}
    # per step, what it waits for that is in this plan (the policy's and its node's own)
    waits_in_plan: dict[str, list[str]] = {}
    in_order = True  # most plans already are in such an order: then it stays as it is
    for iid, index in place.items():
        deps = after.get(iid, ()) + node_waits.get(iid, ())
        if deps:
            waits = waits_in_plan[iid] = [d for d in deps if d in place]
            if in_order:  # each placed before it (a step that waits for itself never is)
                in_order = all(place[d] < index for d in waits)
    if in_order:
        return ordered
    placed: set[str] = set()
    out: list[tuple[Node, int]] = []
    waiting = list(ordered)
    while waiting:
        for index, (node, tier) in enumerate(waiting):
            if placed.issuperset(waits_in_plan.get(node.intervention, ())):
                break
        else:  # a cycle in `after` (the rule file's fault): keep rank order for the rest
            index = 0
        node, tier = waiting.pop(index)
        placed.add(node.intervention)
        out.append((node, tier))
    return out


def placing_rest(book: Rulebook) -> int:
    """Index of the last tier, the catch-all: where the client leads."""
    return _cached(book, ("rest_tier",), lambda: len(book.resolution.ranking.tiers) - 1)


def _tier_kinds(book: Rulebook) -> tuple[frozenset[int], frozenset[int]]:
    """Indexes of the urgent (safety, acute) tiers and of the groundwork tiers (resolution.yaml)."""
    def build() -> tuple[frozenset[int], frozenset[int]]:
        plan = book.resolution.step_plan
        index = {tier.id: i for i, tier in enumerate(book.resolution.ranking.tiers)}
        return frozenset(index[t] for t in plan.urgent_tiers), frozenset(index[t] for t in plan.groundwork_tiers)

    return _cached(book, ("tier_kinds",), build)


def is_early(book: Rulebook, a: Assessment) -> bool:
    """Trust first: too few conversations, their number not known, or the client declines for now."""
    needed = book.resolution.step_plan.conversations_for_trust
    return not a.open_to_support or a.conversations_held is None or a.conversations_held < needed


def plan_phases(book: Rulebook, a: Assessment, ordered: list[tuple[str, int]],
                node_waits: dict[str, tuple[str, ...]] | None = None,
                trust_waived: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """(phase, waits_for) per ranked intervention, by the step_plan policy of resolution.yaml.
    `node_waits`: what a step waits for by its action node (care before work), in or out of the plan."""
    policy = _policy(book)
    needs_trust, one_at_a_time, never_now = policy.needs_trust, policy.one_at_a_time, policy.never_now
    urgent_tiers, groundwork_tiers = policy.urgent_tiers, policy.groundwork_tiers
    after, now_at_most = policy.after, policy.now_at_most
    node_waits = node_waits or {}
    early = is_early(book, a) and not trust_waived
    in_plan = {iid for iid, _ in ordered}
    now_count = 0
    first_group: str | None = None
    out: list[tuple[str, tuple[str, ...]]] = []
    for iid, tier in ordered:
        urgent = tier in urgent_tiers
        deps = after.get(iid)
        waits: tuple[str, ...] = tuple(dep for dep in deps if dep in in_plan) if deps else ()
        if iid in node_waits:  # care first: waits for it whether or not it is in this plan
            waits = tuple(dict.fromkeys((*waits, *node_waits[iid])))
        if urgent:
            phase = "now" if now_count < now_at_most else "next"
        elif early and iid in needs_trust:
            group = (first_group,) if iid in one_at_a_time and first_group is not None else ()
            phase, waits = "later", ("trust", *group, *(w for w in waits if w not in group))
        elif iid in one_at_a_time and first_group is not None:
            phase, waits = "later", (first_group, *(w for w in waits if w != first_group))
        elif waits:
            phase = "later"
        elif (tier in groundwork_tiers or not early) and iid not in never_now and now_count < now_at_most:
            phase = "now"
        else:
            phase = "next"
        if iid in one_at_a_time and first_group is None and iid not in node_waits:
            # the first group or course by rank; the others wait for it (not for one held back
            # by care: what can start now goes first)
            first_group = iid
        if phase == "now":
            now_count += 1
        out.append((phase, waits if phase == "later" else ()))
    return out


def _focus(book: Rulebook, municipality: str) -> dict[str, int]:
    variant = book.resolution.variants[book.municipalities[municipality].variant]
    return {iid: index for index, iid in enumerate(variant.focus)}


def _wished(policy: _Policy, a: Assessment) -> frozenset[str]:
    if not a.wishes:
        return frozenset()
    wishes = policy.wishes
    return frozenset(iid for wish in a.wishes for iid in wishes.get(wish, ()))


def _placing(book: Rulebook) -> dict[str, tuple[tuple[tuple[int, int], ...], int, int, int, str | None]]:
    """Per intervention: (acute tiers to try first as (index, threshold), the tier it falls in
    otherwise, its place in the tier lists and the money order, its step, its domain). An
    intervention falls in the first tier that lists it, in an acute tier that names it under
    `when_domain_acute` while its domain is at or below the threshold, or in the catch-all."""
    tiers = book.resolution.ranking.tiers
    listed: dict[str, int] = {}
    for tier in tiers:
        for iid in tier.interventions:
            listed.setdefault(iid, len(listed))
    for iid in book.resolution.ranking.order:
        listed.setdefault(iid, len(listed))
    placing = {}
    for item in book.interventions.values():
        checks: list[tuple[int, int]] = []
        fallback = len(tiers)
        for index, tier in enumerate(tiers):
            if item.id in tier.interventions or (not tier.interventions and tier.domain_self_reliance_at_most is None):
                fallback = index
                break
            if tier.domain_self_reliance_at_most is not None and item.id in tier.when_domain_acute:
                checks.append((index, tier.domain_self_reliance_at_most))
        placing[item.id] = (tuple(checks), fallback, listed.get(item.id, len(listed)), item.step, item.domain)
    return placing


def _cached(book: Rulebook, key: tuple, build: Callable[[], Any]) -> Any:
    """A frozen output piece that depends only on the rules and `key`: built once per rulebook (hot path)."""
    value = book.cache.get(key)
    if value is None:
        value = book.cache[key] = build()
    return value


def _suggestion(book: Rulebook, node: Node, municipality: str, urgent: bool, phase: str,
                waits: tuple[str, ...]) -> SuggestedIntervention:
    """One per action node, municipality, urgency and place in the plan: depends only on the
    rules (rank looks it up in book.cache under this key before calling here)."""
    key = ("suggestion", node.id, municipality, urgent, phase, waits)

    def build() -> SuggestedIntervention:
        item = book.interventions[node.intervention]
        service = book.municipalities[municipality].services.get(item.id)
        suggestion = SuggestedIntervention(
            id=item.id, label_nl=item.label_nl, label_en=item.label_en, domain=item.domain,
            rationale=node.reason_nl or "", rationale_en=node.reason_en or "",
            rule=rule_ref(node.file, node.id, book), source=node.source,
            referral_to=service.organisation if service else None, urgent=urgent,
            phase=phase, waits_for=list(waits), source_label=source_label(book, node.source),
        )
        # the suggestion is shared by every case with this key: its one list must not be
        # changed through one case's answer (the model is frozen, a list inside it is not)
        suggestion.__dict__["waits_for"] = ReadOnlyList(suggestion.waits_for)
        return suggestion

    return _cached(book, key, build)


class ReadOnlyList(list):  # type: ignore[type-arg]
    """A list that refuses to be changed: equal to, dumped and serialised as the plain list."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("this list is shared between recommendations and cannot be changed; copy it first (list(...))")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self) -> Any:  # a copy or a pickle is a plain list again
        return list, (list(self),)


def refer(book: Rulebook, a: Assessment, interventions: list[SuggestedIntervention]) -> tuple[list[Referral], list[Warning_]]:
    municipality = book.municipalities[a.municipality]
    offered_somewhere = book.cache.get(_OFFERED_SOMEWHERE)
    if offered_somewhere is None:
        offered_somewhere = _cached(book, _OFFERED_SOMEWHERE,
                                    lambda: frozenset(iid for m in book.municipalities.values() for iid in m.services))
    grouped: dict[str, list[str]] = {}  # organisation -> the interventions it is asked for
    warnings: list[Warning_] = []
    for item in interventions:
        service = municipality.services.get(item.id)
        if service is None:
            if item.id in offered_somewhere:
                warnings.append(_cached(book, ("no_organisation", item.id, municipality.name), lambda: Warning_(
                    code="no_organisation", field=None,
                    message_nl=f"Geen organisatie voor '{item.label_nl}' op de sociale kaart van {municipality.name}; zoek zelf een passend aanbod.",
                    message_en=f"No organisation for '{item.label_en}' on the {municipality.name} social map; find a suitable offer yourself.",
                )))
            continue
        grouped.setdefault(service.organisation, []).append(item.id)
    # (speed) one Referral per organisation, interventions and consent, made once per rulebook:
    # its list is a ReadOnlyList, so no case can change another's through it
    cache = book.cache
    referrals = []
    for organisation, iids in grouped.items():
        consent = a.consent_to_share or organisation in a.consent_to_share_with
        key = ("referral", a.municipality, organisation, tuple(iids), consent)
        referral = cache.get(key)
        if referral is None:
            referral = cache[key] = _referral(municipality, organisation, iids, consent)
        referrals.append(referral)
    for ref in referrals:
        if ref.consent_required and not ref.consent_given:
            warnings.append(consent_missing(book, ref))
    for index, organisation in enumerate(a.consent_to_share_with):
        if organisation not in municipality.organisations:
            known = municipality.organisations
            warnings.append(Warning_(
                code="consent_unknown_organisation", field=f"consent_to_share_with[{index}]",
                message_nl=f"'{organisation}' staat niet op de sociale kaart van {municipality.name}; deze toestemming geldt voor geen enkele verwijzing.{_suggest_nl(organisation, known)}",
                message_en=f"'{organisation}' is not on the {municipality.name} social map; this consent covers no referral.{suggest(organisation, known)}",
            ))
    return referrals, warnings


_OFFERED_SOMEWHERE = ("offered_somewhere",)


def consent_missing(book: Rulebook, ref: Referral) -> Warning_:
    """The warning for a referral that shares data the client has not (yet) consented to share."""
    return _cached(book, ("consent_missing", ref.name), lambda: Warning_(
        code="consent_missing", field="consent_to_share",
        message_nl=f"Verwijzing naar {ref.name} deelt gegevens, maar de deelnemer heeft (nog) geen toestemming gegeven voor deze organisatie.",
        message_en=f"The referral to {ref.name} shares data, but the client has not (yet) given consent for this organisation.",
    ))


def _referral(municipality: Any, organisation: str, iids: list[str], consent_given: bool) -> Referral:
    """One referral per organisation: a warm handover or data sharing for any of its services counts."""
    services = [municipality.services[iid] for iid in iids]
    referral = Referral.model_validate({
        "organisation": organisation, "name": services[0].name,
        "warm_handover": any(s.warm_handover for s in services),
        "consent_required": any(s.shares_data for s in services),
        "consent_given": consent_given, "for": list(iids),
    })
    referral.__dict__["for_"] = ReadOnlyList(referral.for_)  # shared between cases: see ReadOnlyList
    return referral


def choose_lead(book: Rulebook, a: Assessment, rule: Rule) -> LeadCoordinator:
    # (hot path) a lead that depends only on the rule and the municipality (the pilot's or one
    # from the social map) is made once, below: found here without working it out again
    made = book.cache.get(("lead", rule.id, a.municipality))
    if made is not None:
        return made
    municipality = book.municipalities[a.municipality]
    support = None
    if rule.lead == "pilot":
        role, organisation = municipality.pilot_role, municipality.pilot_organisation
        organisation_name = municipality.organisations[organisation]
    elif isinstance(rule.lead, dict) and "prefer_trusted" in rule.lead:
        # only a professional who can keep the overview and answer for the whole leads
        support = next((s for kind in rule.lead["prefer_trusted"] for s in a.existing_support
                        if s.kind == kind and s.trusted), None)
    elif isinstance(rule.lead, dict):
        service = municipality.services[rule.lead["from_social_map"]]
        role, organisation, organisation_name = rule.lead["role"], service.organisation, service.name
    elif rule.lead == "first_trusted":
        support = next((s for s in a.existing_support if s.trusted), None)
    else:
        support = next((s for kind in rule.lead for s in a.existing_support if s.kind == kind), None)
    if rule.lead != "pilot" and not (isinstance(rule.lead, dict) and "from_social_map" in rule.lead):
        if support is None:
            raise EvaluationError(f"{rule.file}:{rule.line}: rule '{rule.id}' chose a lead that the case does not have")
        role, organisation = support.kind, support.organisation
        # a social-map id typed as the organisation is shown by its name, never as a raw id
        organisation_name = municipality.organisations.get(support.organisation or "", support.organisation)
    labels = book.roles.get(role)
    collaboration = rule.collaboration.get(a.municipality)
    if collaboration is None:  # the loader makes sure of a form wherever the rule can apply: a mutant's doing
        raise EvaluationError(f"{rule.file}:{rule.line}: rule '{rule.id}' chose the lead in {a.municipality}, "
                              f"whose pack gives it no collaboration form ({municipality.file})")
    collab_labels = book.collaborations.get(collaboration)

    def build() -> LeadCoordinator:
        return LeadCoordinator(
            role=role, organisation=organisation, organisation_name=organisation_name,
            label_nl=labels.label_nl if labels else role, label_en=labels.label_en if labels else role,
            rationale=rule.rationale_nl, rationale_en=rule.rationale_en, rule=rule_ref(rule.file, rule.id, book),
            collaboration=collaboration, collaboration_nl=collab_labels.label_nl if collab_labels else collaboration,
        )

    if support is not None:
        return build()  # the organisation is the case's own free text: caching it would grow without bound
    return _cached(book, ("lead", rule.id, a.municipality), build)


def input_warnings(book: Rulebook, a: Assessment) -> list[Warning_]:
    """What the professional should know about the input itself."""
    warnings = []
    cache = book.cache  # (hot path) each piece found before a builder is made for it
    if a.conversations_held is None:
        plan = book.resolution.step_plan
        warnings.append(cache.get(_CONVERSATIONS_UNKNOWN) or _cached(book, _CONVERSATIONS_UNKNOWN, lambda: Warning_(
            code="conversations_unknown", field="conversations_held",
            message_nl=f"Het aantal gevoerde gesprekken is (nog) niet bekend; het advies gaat uit van een begin: eerst vertrouwen (minder dan {plan.conversations_for_trust} gesprekken).",
            message_en=f"The number of conversations held is not known (yet); the advice assumes an early stage: trust first (fewer than {plan.conversations_for_trust} conversations).",
        )))
    for score in a.domains.values():
        if score.priority is not None:
            break
    else:
        warnings.append(cache.get(_NO_PRIORITIES) or _cached(book, _NO_PRIORITIES, lambda: Warning_(
            code="no_priorities", field="domains",
            message_nl="De deelnemer heeft geen volgorde van belangrijkheid gegeven; de volgorde volgt urgentie, de wensen, de werkwijze van de gemeente en de stapgrootte. Vraag wat de deelnemer zelf het belangrijkst vindt.",
            message_en="The client gave no order of importance; the order follows urgency, the wishes, the municipality's way of working and step size. Ask what the client finds most important.",
        )))
    if len(a.domains) < len(DOMAIN_IDS):
        # keyed by the domains assessed (at most 512 sets): no list of the missing ones a case
        key = ("domains_not_assessed", frozenset(a.domains))
        warnings.append(cache.get(key) or _cached(book, key, lambda: _not_assessed(a.domains)))
    return warnings


_CONVERSATIONS_UNKNOWN = ("conversations_unknown",)
_NO_PRIORITIES = ("no_priorities",)


def _not_assessed(assessed: Any) -> Warning_:
    missing = tuple(d for d in DOMAIN_IDS if d not in assessed)
    return Warning_(
        code="domains_not_assessed", field="domains",
        message_nl=f"Niet in kaart gebracht: {', '.join(DOMAIN_LABELS_NL[d] for d in missing)}. Het advies ziet daar geen probleem; vraag in het volgende gesprek naar deze leefgebieden en vul ze aan.",
        message_en=f"Not assessed: {', '.join(missing)}. Questions about those domains assume 'no problem'.",
    )


def _suggest_nl(name: str, known: Any) -> str:
    """suggest() in Dutch, for text a coach reads: ' (bedoelde je 'x'?)'."""
    english = suggest(name, known)
    return english.replace("(did you mean ", "(bedoelde je ") if english else ""


def unanswered_domains(book: Rulebook, a: Assessment, addressed: set[str | None]) -> list[Warning_]:
    """A life domain in trouble (self-reliance 2 or lower) that nothing on the path addresses:
    no action for an intervention in that domain, and no question about it answered yes."""
    warnings = []
    cache = book.cache
    for domain, score in a.domains.items():
        if score.self_reliance <= 2 and domain not in addressed:
            key = ("domain_without_intervention", domain, score.self_reliance)
            made = cache.get(key)  # (hot path) found before a builder is made for it
            warnings.append(made if made is not None else _cached(book, key, lambda: _domain_warning(domain, score.self_reliance)))
    return warnings


def _domain_warning(domain: str, self_reliance: int) -> Warning_:
    label = DOMAIN_LABELS_NL[domain]
    return Warning_(
        code="domain_without_intervention", field=f"domains.{domain}",
        message_nl=f"Leefgebied {label} staat op {self_reliance}, maar het advies bevat daarvoor geen stap; bespreek zelf met de deelnemer wat nodig is.",
        message_en=f"Life domain {domain} is at {self_reliance} but no rule suggests anything for it; discuss yourself what is needed.",
    )
