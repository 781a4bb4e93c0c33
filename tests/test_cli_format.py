"""The scenario-format commands through the real CLI: validate, show, schema (and flags every
command shares)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario.describe import fact_rows, num
from sim.scenario.loader import load_scenario
from sim.scenario.refs import facts
from sim.scenario.schema import json_schema

ROOT = Path(__file__).resolve().parent.parent
GEOSIM = ROOT / ".venv" / "bin" / "geosim"
TINY_SUMMARY = ("ok: tiny as of 2020-01-01, 3 actors, 3 regions, 2 links, 2 events, 3 outcomes, "
                "1 variants")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


def test_validate_prints_one_summary_line_per_valid_file(capsys, tiny_path):
    truce = tiny_path.parent / "tiny-truce.yaml"
    code, out, err = run(capsys, "validate", str(tiny_path), str(truce))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{tiny_path}: {TINY_SUMMARY}",
        f"{truce}: {TINY_SUMMARY.replace('tiny as of', 'tiny-truce as of')}",
    ]


def test_validate_reports_every_problem_of_every_bad_file(capsys, tiny_path, write_yaml):
    text = tiny_path.read_text(encoding="utf-8")
    bad = write_yaml(text.replace("horizon_days: 30", "horizon_days: 0")
                     .replace("controller: blue", "controller: bleu"), "bad.yaml")
    worse = write_yaml("scenario: [\n", "worse.yaml")
    code, out, err = run(capsys, "validate", str(bad), str(tiny_path), str(worse))
    assert code == 2
    assert out == f"{tiny_path}: {TINY_SUMMARY}\n"
    assert err.splitlines() == [
        f"{bad}:8:3: scenario.horizon_days: must be > 0 (got 0)",
        f"{bad}:74:5: regions.beta.controller: unknown actor 'bleu' (did you mean 'blue'? "
        "allowed: blue, green, red)",
        f"{worse}:2:1: malformed YAML: expected the node content, "
        "but found '<stream end>'",
    ]


def test_validate_variant_and_strict(capsys, tiny_path):
    assert run(capsys, "validate", str(tiny_path), "--variant", "big-reserve")[0] == 0
    code, out, err = run(capsys, "validate", "--strict", str(tiny_path))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 11
    assert all("fact has neither source nor assumption: true" in line for line in err.splitlines())


@pytest.mark.parametrize(("argv", "message"), [
    (["validate", "no-such.yaml"], "no-such.yaml: no such file"),
    (["show", "{tiny}", "--variant", "nope"], "variants: unknown variant 'nope' (allowed: "
                                             "big-reserve)"),
    (["show"], "geosim show: the following arguments are required: FILE"),
    (["schema", "--out", "/no/such/dir/schema.json"], "geosim schema: cannot write "
                                                      "/no/such/dir/schema.json: No such file"),
])
def test_user_errors_are_one_line_and_exit_2(capsys, tiny_path, argv, message):
    code, out, err = run(capsys, *[a.replace("{tiny}", str(tiny_path)) for a in argv])
    assert code == 2
    assert len(err.splitlines()) == 1 and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["run", "{tiny}", "--runs", "2"],
    ["compare", "{tiny}", "{tiny}", "--runs", "4"],
    ["sensitivity", "{tiny}", "--runs", "20"],
    ["history", "--runs", "2"],
    ["play", "{tiny}", "--teams", "blue", "--turns", "1"],
    ["serve", "{tiny}", "--teams", "blue"],
])
def test_a_negative_seed_is_one_line_in_every_command_that_takes_one(capsys, tiny_path,
                                                                     tmp_path, monkeypatch,
                                                                     argv):
    """numpy's seeding raised a ValueError traceback for --seed -1 in play, serve, history."""
    monkeypatch.chdir(tmp_path)  # saves and results folders default to the working directory
    argv = [a.replace("{tiny}", str(tiny_path)) for a in argv]
    code, out, err = run(capsys, *argv, "--seed", "-1")
    assert (code, err) == (2, "--seed must be at least 0 (got -1)\n")
    assert not list(tmp_path.iterdir())  # nothing written: no save, no results folder


def test_installed_command_exits_2_without_traceback(tiny_path, write_yaml):
    bad = write_yaml(tiny_path.read_text(encoding="utf-8").replace("terrain: open", "terrain: 3"))
    proc = subprocess.run([str(GEOSIM), "validate", str(bad), str(tiny_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stdout == f"{tiny_path}: {TINY_SUMMARY}\n"
    assert proc.stderr == (f"{bad}:73:5: regions.beta.terrain: not an allowed value (got 3; "
                           "allowed 'urban', 'open', 'desert', 'rough', 'mountain', 'marsh' or "
                           "'forest')\n")


# --------------------------------------------------------------------------------------------
# show
# --------------------------------------------------------------------------------------------


def test_show_lists_every_part_and_every_fact(capsys, tiny_path):
    code, out, err = run(capsys, "show", str(tiny_path))
    assert (code, err) == (0, "")
    assert "Two towns and a ford" in out
    assert "id tiny · as of 2020-01-01 · horizon 30 days · step 1 day" in out
    for title in ("Actors", "Regions", "Relations", "Events", "Outcomes", "Variants",
                  "Facts (53)"):
        assert f"\n{title}" in out
    sc = load_scenario(tiny_path)
    for fid, _ in facts(sc):
        assert f"│ {fid} " in out, fid
    red = _row(out, "│ red ")
    assert red[:10] == ["red", "Red", "state", "1,500", "2,000 (1,000-3,000)", "3,500", "0.7",
                        "1.1 (0.9-1.3)", "0.6", "10"]
    assert _row(out, "│ alpha ")[:6] == ["alpha", "Alpha Town", "urban", "red",
                                         "red 1,500 (1,000-2,000)", "100,000"]
    assert "green-air: green→red air_strikes 5 (2-8) from day 3 while enemy of red within " \
           "1 link of alpha" in out
    assert "when any(blue lost beta, blue below 0.5 of day-0 strength)" in out
    assert _row(out, "│ actors.red.forces.reserve ") == [
        "actors.red.forces.reserve", "2,000", "1,000-3,000", "triangular",
        "Test Wire, 2019-12-30", "Wire counts disagree."]


def test_show_with_a_variant_shows_the_changed_facts(capsys, tiny_path):
    code, out, _ = run(capsys, "show", str(tiny_path), "--variant", "big-reserve")
    assert code == 0
    assert out.startswith("variant big-reserve: Red mobilises\n")
    assert _row(out, "│ actors.red.forces.reserve ") == [
        "actors.red.forces.reserve", "4,000", "", "", "assumption", "set by variant 'big-reserve'"]


def test_show_through_a_pipe_has_no_colour_codes(tiny_path):
    proc = subprocess.run([str(GEOSIM), "show", str(tiny_path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 160


def _row(out: str, start: str) -> list[str]:
    """The cells of the first table row beginning with `start`."""
    line = next(x for x in out.splitlines() if x.startswith(start))
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_fact_rows_say_where_each_number_comes_from(tiny_path):
    rows = {r["id"]: r for r in fact_rows(load_scenario(tiny_path))}
    assert rows["actors.red.forces.quality"]["source"] == "assumption"
    assert rows["actors.red.forces.quality"]["dist"] == "normal"
    assert rows["regions.alpha.population"]["source"] == "Test Atlas, 2019-06-01"  # source date
    assert rows["actors.red.forces.readiness"]["source"] == "unsourced"
    assert rows["actors.red.forces.intelligence"]["source"] == "default"
    assert rows["actors.green.forces.morale"]["source"] == "default"  # whole section defaulted
    # A range without a dist is sampled triangular, and the table says so.
    assert rows["regions.alpha.garrisons.red"]["dist"] == "triangular"


def test_notes_are_truncated(tiny_path):
    sc = load_scenario(tiny_path, "big-reserve")
    long = sc.model_copy(deep=True)
    note = "word " * 40
    object.__setattr__(long.actors["red"].forces.reserve, "note", note)
    row = next(r for r in fact_rows(long) if r["id"] == "actors.red.forces.reserve")
    assert len(row["note"]) == 48 and row["note"].endswith("…")


@pytest.mark.parametrize(("x", "text"), [(2000.0, "2,000"), (0.7, "0.7"), (-5.0, "-5"),
                                         (1234567.0, "1,234,567"), (0.12345, "0.123")])
def test_num(x, text):
    assert num(x) == text


# --------------------------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------------------------


def test_schema_prints_the_json_schema(capsys, tmp_path):
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert json.loads(out) == json_schema()
    target = tmp_path / "geosim.schema.json"
    code, out, _ = run(capsys, "schema", "--out", str(target))
    assert code == 0 and out.startswith(f"wrote {target} (")
    assert json.loads(target.read_text(encoding="utf-8")) == json_schema()


def test_help_lists_the_format_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("validate", "show", "schema"):
        assert command in out


def test_help_does_not_import_rich():
    code = ("import sys; from sim.cli import build_parser; build_parser(); "
            "print('rich' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=False)
    assert proc.stdout.strip() == "False", proc.stderr


def test_reference_scenarios_pass_strict_validation(capsys):
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    assert files, "the reference scenario is missing"
    code, out, err = run(capsys, "validate", "--strict", *files)
    assert code == 0
    # Only the colour warning (issue 13): the reference scenario's Iraq and US blues.
    assert all("near-identical colours" in line for line in err.splitlines()), err
    assert len(out.splitlines()) == len(files)
