"""Issue 20, tried as a trainer would: what the first packs let through or said badly (a CBS code
in other digits than 0-9, a name too long for an id, `diff` for a city from an outside pack, a
code taken twice blamed on the shipped pack rather than the newcomer)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import RuleError
from engine.rulebook import load
from engine.workbench.check import check_rules
from workbench_helpers import RULES, add_pack, copy_rules, edit, line_of, run_cli

CLIENT = {"conversations_held": 4, "ladder_rung": 2,
          "domains": {"finances": {"self_reliance": 2}, "social_contacts": {"self_reliance": 2}},
          "circumstances": {"problematic_debt": True}}
MAP = """
  - id: gemeente_{mid}
    name: Gemeente {mid}
    source: practice
    services:
      - {{intervention: debt_counselling, warm_handover: false, shares_data: true, source: practice}}
"""
FULLWIDTH = "GM\uff10\uff11\uff19\uff13"  # "GM０１９３": digits, but not the CBS code's


def test_a_code_in_other_digits_than_0_to_9_is_no_cbs_code(tmp_path, capsys):
    packs = tmp_path / "packs"
    code, out, err = run_cli(capsys, "municipality", "new", "Zwolle", "--code", FULLWIDTH, "--variant", "tilburg",
                             "--into", str(packs))
    assert code == 2 and "--code: " in err and "is geen CBS-gemeentecode" in err
    assert not packs.exists() or not any(packs.iterdir())
    add_pack(packs, "proefstad", MAP.format(mid="proefstad"), code=FULLWIDTH)
    main = packs / "proefstad" / "municipality.yaml"
    with pytest.raises(RuleError) as raised:
        load(None, [packs])
    assert f"{main}:{line_of(main, 'code:')}: code:" in str(raised.value)


def test_a_name_too_long_for_an_id_says_so_in_one_short_line(tmp_path, capsys):
    code, out, err = run_cli(capsys, "municipality", "new", "Gemeente " + "Lang" * 60, "--code", "GM0193",
                             "--variant", "tilburg", "--into", str(tmp_path / "packs"))
    assert code == 2 and out == ""
    assert "NAAM: " in err and "2 tot 41 letters of cijfers" in err
    assert len(err.strip().splitlines()) == 1 and len(err) < 300


def test_diff_takes_the_packs_of_a_city_outside_the_rules(tmp_path, capsys):
    packs = tmp_path / "packs"
    add_pack(packs, "proefstad", MAP.format(mid="proefstad"))
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({**CLIENT, "municipality": "proefstad"}) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "diff", str(RULES), str(RULES), "--cases", str(cases), "--packs", str(packs),
                             "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["compared"], report["bad_cases"]) == (1, [])


def test_a_code_taken_twice_is_the_outside_packs_error_whatever_its_name(tmp_path):
    packs = tmp_path / "packs"
    add_pack(packs, "aaastad", MAP.format(mid="aaastad"), code="GM0546")  # sorts before leiden, whose code it takes
    main = packs / "aaastad" / "municipality.yaml"
    [error] = [f for f in check_rules(None, [packs]) if f.severity == "error"]
    assert (error.file, error.line) == (str(main), line_of(main, "code: GM0546"))
    assert str(RULES / "municipalities" / "leiden" / "municipality.yaml") in error.message
    with pytest.raises(RuleError) as raised:
        load(None, [packs])
    assert str(raised.value).startswith(f"{main}:")


def test_the_progress_report_takes_a_case_given_by_its_cbs_code(tmp_path, capsys):
    import yaml

    case = yaml.safe_load((Path(__file__).parent.parent / "examples/cases/tilburg_stagnatie.yaml").read_text(encoding="utf-8"))
    by_id, by_code = tmp_path / "by_id.json", tmp_path / "by_code.json"
    by_id.write_text(json.dumps(case, default=str), encoding="utf-8")
    by_code.write_text(json.dumps({**case, "municipality": "GM0855"}, default=str), encoding="utf-8")
    code, with_code, err = run_cli(capsys, "report", str(by_code), "--format", "markdown")
    assert code == 0, err
    assert with_code == run_cli(capsys, "report", str(by_id), "--format", "markdown")[1]
    assert "(Tilburg)" in with_code.splitlines()[0]


HSDS = Path(__file__).parent.parent / "examples" / "zwolle-hsds"


def _new_zwolle(capsys, packs: Path) -> Path:
    code, _, err = run_cli(capsys, "municipality", "new", "Zwolle", "--code", "GM0193", "--variant", "tilburg",
                           "--into", str(packs))
    assert code == 0, err
    return packs / "zwolle"


def test_map_import_takes_the_cbs_code_as_map_export_does(tmp_path, capsys):
    by_id, by_code = _new_zwolle(capsys, tmp_path / "a"), _new_zwolle(capsys, tmp_path / "b")
    assert run_cli(capsys, "map", "import", str(HSDS), "--municipality", "zwolle", "--into", str(by_id.parent))[0] == 0
    code, _, err = run_cli(capsys, "map", "import", str(HSDS), "--municipality", "gm0193", "--into", str(by_code.parent))
    assert code == 0, err
    assert (by_code / "social_map.yaml").read_text(encoding="utf-8") == (by_id / "social_map.yaml").read_text(encoding="utf-8")
    code, _, err = run_cli(capsys, "map", "import", str(HSDS), "--municipality", "GM0194", "--into", str(by_code.parent))
    assert code == 2 and "--municipality: geen gemeentepakket met CBS-code GM0194" in err


@pytest.mark.parametrize("file, broken", [
    ("municipality.yaml", "variant: [\n"),
    ("social_map.yaml", "organisations: [\n"),
])
def test_map_import_into_a_pack_with_a_broken_file_names_file_and_line(tmp_path, capsys, file, broken):
    pack = _new_zwolle(capsys, tmp_path / "packs")
    path = pack / file
    text = path.read_text(encoding="utf-8")
    path.write_text((text + broken) if file == "municipality.yaml" else broken, encoding="utf-8")
    line = len(path.read_text(encoding="utf-8").splitlines()) + 1
    code, _, err = run_cli(capsys, "map", "import", str(HSDS), "--municipality", "zwolle", "--into", str(pack.parent))
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(f"wegwijzer: {path}:{line}: YAML")  # after the unmapped services


def test_map_import_keeps_going_past_a_pilot_that_is_no_mapping(tmp_path, capsys):
    pack = _new_zwolle(capsys, tmp_path / "packs")
    edit(pack / "municipality.yaml", "pilot:\n", "pilot: 7\nformer_pilot:\n")
    code, _, err = run_cli(capsys, "map", "import", str(HSDS), "--municipality", "zwolle", "--into", str(pack.parent))
    assert code == 0, err  # the map is imported; check then names the pack's own mistake


def test_the_store_advises_an_outside_packs_case_with_packs_and_names_the_city_as_its_pack_does(tmp_path, capsys):
    from store_cases import case_doc

    packs = tmp_path / "packs"
    add_pack(packs, "den_bosch", MAP.format(mid="den_bosch"), name="Den Bosch")
    db = str(tmp_path / "cases.sqlite")
    case = tmp_path / "case.json"
    case.write_text(json.dumps({**case_doc("p-1"), "municipality": "GM9901"}), encoding="utf-8")
    code, _, err = run_cli(capsys, "case", "import", str(case), "--db", db, "--packs", str(packs))
    assert code == 0, err
    code, out, err = run_cli(capsys, "case", "next", "p-1", "--db", db, "--packs", str(packs))
    assert code == 0, err
    assert out.splitlines()[0] == "Advies — Casus p-1 (Gemeente Den Bosch)"  # its name, not its id capitalised (Den_bosch)
    code, advice, err = run_cli(capsys, "case", "next", "p-1", "--db", db, "--packs", str(packs), "--format", "json")
    (tmp_path / "advice.json").write_text(advice, encoding="utf-8")
    code, exported, err = run_cli(capsys, "case", "export", "p-1", "--db", db, "--packs", str(packs))
    (tmp_path / "export.json").write_text(exported, encoding="utf-8")
    code, out, err = run_cli(capsys, "replay", str(tmp_path / "advice.json"), str(tmp_path / "export.json"),
                             "--db", db, "--packs", str(packs), "--format", "text")
    assert code == 0, err
    assert out.splitlines()[0] == "Advies — Casus p-1 (Gemeente Den Bosch)"


def test_packs_given_as_the_pack_itself_is_an_error_saying_which_folder_to_give(tmp_path, capsys):
    packs = tmp_path / "packs"
    pack = add_pack(packs, "proefstad", MAP.format(mid="proefstad"))
    with pytest.raises(RuleError) as raised:
        load(None, [pack])  # was: loaded nothing from it, and said nothing
    assert str(raised.value).startswith(f"{pack}: ") and f"--packs {packs}" in str(raised.value)
    code, out, _ = run_cli(capsys, "check", "--packs", str(pack))
    assert code == 1 and f"{pack}: fout: dit is zelf een pakket, geen map met pakketten" in out


def test_the_same_packs_folder_twice_or_the_rules_own_is_read_once(tmp_path, capsys, monkeypatch):
    packs = tmp_path / "packs"
    add_pack(packs, "proefstad", MAP.format(mid="proefstad"))
    once = load(None, [packs])
    twice = load(None, [packs, tmp_path / "packs" / ".." / "packs"])
    assert list(twice.municipalities) == list(once.municipalities) and twice.version == once.version
    shipped = load(None, [])
    with_own = load(None, [RULES / "municipalities"])  # $WEGWIJZER_PACKS set to the rules' own folder
    assert list(with_own.municipalities) == list(shipped.municipalities) and with_own.version == shipped.version


def test_a_pack_file_that_is_not_utf8_is_one_dutch_line_in_check(tmp_path, capsys):
    from engine.workbench.dutch import known

    packs = tmp_path / "packs"
    pack = add_pack(packs, "proefstad", MAP.format(mid="proefstad"))
    (pack / "social_map.yaml").write_bytes("organisations: []  # Súdwest\n".encode("latin-1"))
    [error] = [f for f in check_rules(None, [packs]) if f.severity == "error"]
    assert known(error.message), error.message
    code, out, _ = run_cli(capsys, "check", "--packs", str(packs))
    assert code == 1 and f"{pack / 'social_map.yaml'}:1: fout: geen UTF-8-tekst (byte 23); sla het bestand op als UTF-8" in out


def test_the_scaffold_into_a_file_is_an_error_on_into(tmp_path, capsys):
    into = tmp_path / "a-file"
    into.write_text("", encoding="utf-8")
    code, out, err = run_cli(capsys, "municipality", "new", "Zwolle", "--code", "GM0193", "--variant", "tilburg",
                             "--into", str(into))
    assert code == 2 and out == ""
    assert err.startswith(f"wegwijzer: --into: kan het pakket niet schrijven in {into}: ")


@pytest.mark.parametrize("given", ["GM 0546", " GM0546", "GM0546 "])
def test_a_code_with_spaces_is_refused_saying_how_a_code_is_written(given):
    from engine import Engine
    from engine.errors import InputError

    with pytest.raises(InputError) as err:
        Engine.load(None, []).recommend({**CLIENT, "municipality": given})
    assert err.value.fields == ["municipality"]
    assert "or its CBS code, GM and four digits (GM0546), without spaces" in str(err.value)


def test_a_link_to_a_pack_that_is_gone_is_an_error_not_a_city_quietly_missing(tmp_path, capsys):
    packs = tmp_path / "packs"
    add_pack(packs, "proefstad", MAP.format(mid="proefstad"))
    (packs / "zwolle").symlink_to(tmp_path / "moved" / "zwolle")
    with pytest.raises(RuleError) as raised:
        load(None, [packs])
    assert str(raised.value).startswith(f"{packs / 'zwolle'}: a link to a pack that is not there")
    code, out, _ = run_cli(capsys, "check", "--packs", str(packs))
    assert code == 1 and "een koppeling naar een pakket dat er niet is" in out
    (packs / "zwolle").unlink()
    (packs / "zwolle").symlink_to(packs / "proefstad")  # a link to a pack that is there: loads as its folder name
    with pytest.raises(RuleError) as raised:
        load(None, [packs])
    assert "differs from the pack's folder name 'zwolle'" in str(raised.value)


def test_the_scaffold_given_a_variants_name_names_the_cities_that_take_it(tmp_path, capsys):
    code, out, err = run_cli(capsys, "municipality", "new", "Zwolle", "--code", "GM0193",
                             "--variant", "new_low_threshold_offers", "--into", str(tmp_path / "packs"))
    assert code == 2 and out == ""
    assert "--variant: 'new_low_threshold_offers' is de naam van een variant; geef de gemeente" in err
    assert err.rstrip().endswith(": leiden")


@pytest.mark.parametrize("name", ["Zwolle\ncode: GM0001", "Zwolle\tOost", "Zwolle\u2028Oost", "Zwolle\x00"])
def test_the_scaffold_refuses_a_name_that_would_break_out_of_its_comment_line(tmp_path, capsys, name):
    packs = tmp_path / "packs"
    code, out, err = run_cli(capsys, "municipality", "new", name, "--code", "GM0193", "--variant", "tilburg",
                             "--into", str(packs))
    assert code == 2 and out == "" and "NAAM: een naam op één regel" in err
    assert not packs.exists() or not any(packs.iterdir())  # nothing written that check would refuse


def test_a_misspelt_collaboration_form_is_one_error_line_naming_the_four_forms(tmp_path):
    rules = copy_rules(tmp_path)
    pack = rules / "municipalities" / "leiden" / "municipality.yaml"
    line = edit(pack, "pilot_professional_default: referral", "pilot_professional_default: referal")
    errors = [f for f in check_rules(rules) if f.severity == "error"]
    assert [(f.file, f.line) for f in errors] == [(str(pack), line)]
    assert "'central_contact'" in errors[0].message and "'referral'" in errors[0].message


def test_a_form_with_no_labels_under_collaborations_is_still_an_error(tmp_path):
    rules = copy_rules(tmp_path)
    edit(rules / "lead_coordinator.yaml", '  referral: {label_nl: "doorverwijzing (vorm 4)", label_en: "referral (form 4)"}\n', "")
    errors = [f for f in check_rules(rules) if f.severity == "error"]
    assert any("collaboration 'referral' has no labels under 'collaborations'" in f.message for f in errors), errors
