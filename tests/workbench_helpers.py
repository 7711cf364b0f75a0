"""Shared helpers for the workbench tests: broken copies of the repo's rules, sample cases."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine.cli import main
from engine.rulebook import default_rules_dir

RULES = default_rules_dir()


def copy_rules(tmp_path: Path, name: str = "rules") -> Path:
    target = tmp_path / name
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("*.test.yaml"))
    return target


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` once; return the 1-based line where the change starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    at = text.index(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:at].count("\n") + 1


def line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


CASE = {
    "case_id": "c1", "municipality": "leiden", "ladder_rung": 1, "conversations_held": 4,
    "domains": {"finances": {"self_reliance": 2, "priority": 1}, "social_contacts": {"self_reliance": 2}},
    "circumstances": {"problematic_debt": True},
    "wishes": ["social_contact", "paid_work"],
    "existing_support": [{"kind": "debt_counselling", "organisation": "Schuldhulp"}],
}


def caseload(tmp_path: Path, bad: bool = True) -> Path:
    cases = []
    for i, (municipality, debt, rung, wishes) in enumerate([
        ("leiden", True, 1, ["social_contact"]), ("helmond", False, 3, ["paid_work"]),
        ("tilburg", True, 2, []), ("leiden", False, 4, ["paid_work", "volunteering"]),
    ]):
        cases.append({"case_id": f"k{i}", "municipality": municipality, "ladder_rung": rung,
                      "conversations_held": 5, "consent_to_share": i % 2 == 0,
                      "domains": {"finances": {"self_reliance": 2 if debt else 4}},
                      "circumstances": {"problematic_debt": debt}, "wishes": wishes})
    lines = [json.dumps(c) for c in cases]
    if bad:
        lines.insert(1, "{not json")
        lines.append(json.dumps({"case_id": "bad_municipality", "municipality": "amsterdam", "domains": {"finances": {"self_reliance": 2}}}))
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def add_pack(packs: Path, mid: str, organisations: str, *, name: str | None = None, code: str = "GM9901",
             variant: str = "existing_offers_participation", forms_like: str = "tilburg",
             pilot_organisation: str | None = None) -> Path:
    """A municipality pack `packs`/`mid`/ (municipality.yaml, social_map.yaml), added by
    configuration only: `organisations` is the social map's list as YAML, the collaboration
    forms are `forms_like`'s for every lead rule that can apply in `mid` (derived from the
    shipped rules, so no city is listed here). Returns the pack's folder."""
    from engine.conditions import may_hold_in
    from engine.rulebook import load

    book = load()
    forms = {rule.id: rule.collaboration[forms_like] for rule in book.lead_rules
             if may_hold_in(rule.when, mid) and forms_like in rule.collaboration}
    pilot_organisation = pilot_organisation or f"gemeente_{mid}"
    folder = packs / mid
    folder.mkdir(parents=True)
    (folder / "municipality.yaml").write_text("\n".join([
        f"id: {mid}", f"code: {code}", f"name: {name or mid.capitalize()}", f"variant: {variant}",
        "pilot:", f"  name: Meedoen {name or mid.capitalize()}", "  role: participation_coach",
        f"  organisation: {pilot_organisation}", "  source: practice",
        "collaboration:", *(f"  {rid}: {form}" for rid, form in forms.items()),
    ]) + "\n", encoding="utf-8")
    (folder / "social_map.yaml").write_text("organisations:\n" + organisations.strip("\n") + "\n", encoding="utf-8")
    return folder
