"""The README's worked example for trainers, applied to a copy of the rules exactly as written there."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from engine import Engine
from engine.workbench.check import check_rules
from workbench_helpers import RULES, edit, run_cli

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"<!-- example: (?P<file>\S+) append -->\n```yaml\n(?P<body>.*?)```", re.S)


def readme_blocks() -> list[tuple[str, str]]:
    return [(m["file"], m["body"]) for m in BLOCK.finditer(README.read_text(encoding="utf-8"))]


def test_the_worked_example_adds_an_intervention_without_python(tmp_path, capsys):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)  # the scenario files too: they are the trainer's suite
    blocks = readme_blocks()
    assert [f for f, _ in blocks] == ["rules/interventions.yaml", "rules/leiden_flowchart.yaml",
                                      "rules/leiden_flowchart.test.yaml"]
    # the two in-place edits the README's text asks for (steps 2 and 3)
    text = (rules / "leiden_flowchart.yaml").read_text(encoding="utf-8")
    node = re.search(r"  - id: a_special_assistance\n(?:    .*\n)*?    next: q_long_on_benefit\n", text)
    assert node, "a_special_assistance no longer continues at q_long_on_benefit: update the README's step 2"
    (rules / "leiden_flowchart.yaml").write_text(
        text.replace(node[0], node[0].replace("next: q_long_on_benefit", "next: a_information_provision")), encoding="utf-8")
    edit(rules / "resolution.yaml", "order: [debt_counselling, special_assistance, long_term_supplement, financial_administration]",
         "order: [debt_counselling, special_assistance, information_provision, long_term_supplement, financial_administration]")
    for name, body in blocks:
        path = rules / Path(name).name
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + body, encoding="utf-8")

    assert [str(f) for f in check_rules(rules) if f.severity == "error"] == []
    code, out, err = run_cli(capsys, "test", "--rules", str(rules))
    # the two new scenarios pass; what fails is only an existing expectation the new step extends
    assert "a concrete cost she cannot pay" not in out and "no round of information" not in out, out
    failures = re.findall(r"^  - .*$", out, re.M)
    assert code == 0 or failures, out + err  # a failing run names what moved
    assert all("information_provision" in line.split("kreeg", 1)[1] and "information_provision" not in
               line.split("kreeg", 1)[0] for line in failures), out
    removed = re.sub(r"(, )?'information_provision'", "", "\n".join(line.split("kreeg", 1)[1] for line in failures))
    assert removed == "\n".join(line.split("verwacht", 1)[1].split(", kreeg", 1)[0] for line in failures).replace(
        "verwacht", ""), out  # with the new step taken out, each got exactly what it expected
    rec = Engine.load(rules).recommend({"municipality": "tilburg", "conversations_held": 5,
                                        "domains": {"finances": {"self_reliance": 3}},
                                        "circumstances": {"unaffordable_cost": True}})
    ids = [i.id for i in rec.interventions]
    assert ids.index("information_provision") == ids.index("special_assistance") + 1
    item = rec.interventions[ids.index("information_provision")]
    assert item.rule == "stroomschema/a_information_provision" and item.label_nl.startswith("Informatie geven")
    # and the shipped rules do not have it: the example is the trainer's, not the release's
    assert "information_provision" not in Engine.load().book.interventions


ZWOLLE_HSDS = README.parent / "examples" / "zwolle-hsds"  # a small HSDS 3.0 directory (invented records)


def test_the_worked_example_adds_a_municipality_from_its_hsds_directory(tmp_path, capsys, monkeypatch):
    import shlex

    text = README.read_text(encoding="utf-8")
    case = re.search(r"<!-- example: (?P<file>\S+) file -->\n```yaml\n(?P<body>.*?)```", text, re.S)
    commands = re.search(r"<!-- example: commands -->\n```sh\n(?P<body>.*?)```", text, re.S)
    assert case and commands, "the README's worked example for a municipality is gone"
    monkeypatch.chdir(tmp_path)
    (tmp_path / case["file"]).write_text(case["body"], encoding="utf-8")
    shutil.copytree(ZWOLLE_HSDS, tmp_path / "examples" / "zwolle-hsds")  # run as from the repository's folder
    outputs = []
    for line in commands["body"].splitlines():
        argv = shlex.split(line)
        assert argv[0] == "wegwijzer"
        code, out, err = run_cli(capsys, *argv[1:])
        assert code == 0, (line, out, err)
        outputs.append((argv[1], out, err))
    (_, _, made), (_, _, imported), (_, checked, _), (_, tested, _), (_, advice, _) = outputs
    assert "Wat nu:" in made and "niet overgenomen: Repair café" in imported
    assert checked.startswith("check in orde: 0 fout(en)") and "0 mislukt" in tested
    assert advice.startswith("Advies (Gemeente Zwolle)") and "Schuldhulp Zwolle" in advice
    assert "zwolle" not in Engine.load().book.municipalities  # the trainer's pack, outside the shipped rules
