"""`wegwijzer algoritmeregister`: the register's fields in Dutch, what the rules do counted from them."""
from __future__ import annotations

import json
import shutil

import pytest

from engine.cli import main
from engine.errors import InputError, RuleError
from engine.history import trajectory_of
from engine.register import FIELDS, TO_FILL, register_entry, to_markdown
from engine.rulebook import default_rules_dir, load


def test_every_field_of_the_publication_standard_is_filled(capsys):
    assert main(["algoritmeregister", "--municipality", "leiden", "--format", "json",
                 "--contact", "algoritmes@leiden.example"]) == 0
    entry = json.loads(capsys.readouterr().out)
    fields = entry["velden"]
    assert [key for key, _ in FIELDS] == list(fields)
    assert all(isinstance(v, str) and v.strip() for v in fields.values())
    assert fields["organisatie"] == "Gemeente Leiden" and fields["contact"] == "algoritmes@leiden.example"
    assert fields["regelsversie"] == load().version
    assert "de coach beslist samen met de deelnemer" in fields["menselijke_tussenkomst"]
    assert set(entry["bronnen"]) >= {"doel", "impact", "wettelijke_basis", "menselijke_tussenkomst"}


def test_what_the_rules_do_is_counted_from_the_rules(tmp_path):
    book = load()
    entry = register_entry(book, "helmond")
    sets = entry["regels"]["regelsets"]
    assert sets["klantprofielen"] == {"regels": len(book.profile_rules)}
    assert sets["trajectory"] == {"regels": len(trajectory_of(book).rules)}
    assert f"klantprofielen met {len(book.profile_rules)} regels" in entry["velden"]["technische_werking"]
    assert entry["velden"]["contact"] == TO_FILL  # never guessed
    # one rule fewer in the files: one fewer in the entry
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "helmond_profiles.yaml"
    text = path.read_text(encoding="utf-8")
    last = text.rindex("\n  - id: ")
    path.write_text(text[:last] + "\n", encoding="utf-8")
    fewer = register_entry(load(rules), "helmond")
    assert fewer["regels"]["regelsets"]["klantprofielen"]["regels"] == len(book.profile_rules) - 1
    assert fewer["velden"]["regelsversie"] != entry["velden"]["regelsversie"]


def test_markdown_has_a_heading_per_field_with_its_source():
    text = to_markdown(register_entry(load(), "tilburg"))
    for _, heading in FIELDS[1:]:
        assert f"\n## {heading}\n" in text
    assert "*Bron: seed:L433-435, practice*" in text


def test_an_unknown_municipality_or_a_bad_texts_file_is_named(tmp_path):
    with pytest.raises(InputError) as caught:
        register_entry(load(), "atlantis")
    assert caught.value.fields == ["municipality"]
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "algoritmeregister.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("doel_source: seed:L1226-1229, seed:L1519-1525, seed:L1884-1889, practice",
                                                             "doel_source: het rapport"), encoding="utf-8")
    with pytest.raises(RuleError) as error:
        register_entry(load(rules), "leiden")
    assert "algoritmeregister.yaml" in str(error.value) and "doel_source" in str(error.value)
