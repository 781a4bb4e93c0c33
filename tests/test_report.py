"""The HTML report writer and `geosim report` (content checks; rendering is in the browser test)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis import report
from sim.analysis.stats import summarise
from sim.cli import main
from sim.errors import ResultsError
from tests import report_fixtures as rf

PLOTLY_BANNER = "* plotly.js v"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("rep")
    return rf.write_results(base / "res", rf.write_scenario(base))


@pytest.fixture(scope="module")
def page(folder):
    return report.write_report(folder).read_text(encoding="utf-8")


def test_report_is_one_self_contained_file(folder, page):
    assert (folder / "report.html").is_file()
    assert page.count(PLOTLY_BANNER) == 1  # plotly.js embedded exactly once
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    # summary bars, quantities, why (per outcome), when, strength, territory, map, relations
    for name in ("outcomes", "quantities", "why-alpha_falls", "why-bravo_retaken",
                 "when-regions", "strength", "territory", "control-map"):
        assert f'data-chart="{name}"' in page, name
    assert page.count("Plotly.newPlot(") == 9
    assert "window.PlotlyGeoAssets.topojson" in page  # the map's topology travels inside
    assert (folder / "briefing.html").is_file()


def test_report_escapes_scenario_text(page):
    assert "Testland &lt;crisis&gt; &amp; test" in page
    assert "Testland <crisis>" not in page


def test_report_summary_table_matches_statistics(folder, page):
    runs = pd.concat(pd.read_parquet(p) for p in sorted((folder / "runs").iterdir()))
    s = summarise(runs, rf.OUTCOMES).set_index("outcome")
    for oid in ("alpha_falls", "bravo_retaken"):
        row = s.loc[oid]
        assert f"{100 * row.p:.1f}%" in page
        assert f"{100 * row.p_lo:.1f}% to {100 * row.p_hi:.1f}%" in page
    # Quantiles come from the aggregate's 1% histograms: the median shown is within 1%.
    from sim.analysis.collect import collect
    from sim.analysis.stats import summarise_aggregate

    shown = summarise_aggregate(collect(folder), rf.OUTCOMES).set_index("outcome")
    median = shown.loc["blue_strength", "q50"]
    assert f"{median:,.0f}" in page
    assert median == pytest.approx(s.loc["blue_strength", "q50"], rel=0.01)


def test_report_lists_every_fact_with_its_provenance(page):
    facts = page[page.index('id="facts"'):page.index('id="sampled"')]
    assert "actors.blue.forces.reserve" in facts
    assert "Wire Service" in facts and "https://example.org/wire" in facts
    assert "reported 2014-06-11" in facts
    assert "3,000 to 8,000" in facts and "pert" in facts
    assert "assumption" in facts and "Low after defeats." in facts
    assert "no source given" in facts  # the unsourced garrisons are flagged, not hidden
    assert "set by variant" not in facts
    biblio = page[page.index('id="sources"'):page.index('id="manifest"')]
    assert "Think Tank" in biblio and "Group strength" in biblio
    sampled = page[page.index('id="sampled"'):page.index('id="sources"')]
    assert "actors.red.forces.reserve" in sampled and "1,000 to 4,000 (pert)" in sampled
    manifest = page[page.index('id="manifest"'):]
    assert "0" * 64 in manifest and "geosim run testland.yaml --runs 40" in manifest
    assert "2 batches" in manifest


def test_report_relations_events_and_support_tables(page):
    rel = page[page.index('id="relations"'):page.index('id="events"')]
    assert "Blue State – Red Group" in rel and "war" in rel
    assert "Green State → Blue State" in rel and "air_strikes" in rel and "2,000" in rel
    events = page[page.index('id="events"'):page.index('id="facts"')]
    assert "<code>rally</code>" in events and "day 5" in events
    assert "50.0% (0.2 to 0.8)" in events and "Blue rallies &lt;b&gt;" in events
    assert "morale(actor=blue, delta=0.1)" in events


def test_variant_is_described(tmp_path):
    folder = rf.write_results(tmp_path / "res", rf.write_scenario(tmp_path), variant="no-air")
    text = report.write_report(folder).read_text(encoding="utf-8")
    assert "variant <b>no-air</b>" in text
    assert "Variant no-air: No air support." in text
    assert "relations.blue-green.support.air.amount = 0" in text
    rel = text[text.index('id="relations"'):text.index('id="events"')]
    assert "air strikes 0 sorties" in rel  # the stored scenario has the variant applied
    assert "air strikes 20 sorties" not in rel


def test_report_reads_the_stored_scenario_not_the_file(tmp_path):
    """The scenario file may change or vanish after the run: the report reads what ran."""
    path = rf.write_scenario(tmp_path)
    folder = rf.write_results(tmp_path / "res", path)
    path.write_text(path.read_text().replace("Wire Service", "Changed Outlet"))
    text = report.write_report(folder).read_text(encoding="utf-8")
    assert "Wire Service" in text and "Changed Outlet" not in text
    path.unlink()
    assert 'id="facts"' in report.write_report(folder).read_text(encoding="utf-8")


def test_default_fact_paths_are_those_not_in_the_file(tmp_path):
    sc = rf.scenario(tmp_path)
    defaults = report.default_fact_paths(sc)
    assert "actors.blue.forces.readiness" in defaults
    assert "actors.green.economy.funds" in defaults
    assert "actors.blue.forces.reserve" not in defaults
    assert "regions.alpha.garrisons.blue" not in defaults


def test_folder_without_stored_scenario_still_gives_a_report(tmp_path):
    folder = rf.write_results(tmp_path / "res", rf.write_scenario(tmp_path), resolved=False)
    text = report.write_report(folder).read_text(encoding="utf-8")
    assert "holds no scenario.resolved.yaml" in text
    assert 'id="facts"' not in text and 'id="control"' in text
    assert "Blue State" in text  # actor names from the manifest
    for name in ("outcomes", "quantities", "strength", "territory"):
        assert f'data-chart="{name}"' in text


def test_folder_without_completed_runs(tmp_path):
    folder = rf.write_results(tmp_path / "res", rf.write_scenario(tmp_path))
    for p in (folder / "runs").iterdir():
        p.unlink()
    text = report.write_report(folder).read_text(encoding="utf-8")
    assert "No completed runs" in text and PLOTLY_BANNER not in text


def test_failed_and_unfinished_runs_are_reported(tmp_path):
    folder = rf.write_results(tmp_path / "res", rf.write_scenario(tmp_path))
    part = folder / "runs" / "part-00000.parquet"
    runs = pd.read_parquet(part)
    runs.loc[runs.index[:3], ["status", "error"]] = ["error", "ValueError: boom"]
    runs.to_parquet(part)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["status"] = "interrupted"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    text = report.write_report(folder).read_text(encoding="utf-8")
    assert "not complete (status: interrupted)" in text
    assert "3 of 40 runs failed" in text and "ValueError: boom (3x)" in text
    assert "<td class=\"num\">37</td>" in text  # statistics over the 37 ok runs only


def test_missing_folder_is_a_results_error(tmp_path):
    with pytest.raises(ResultsError, match="no such results folder"):
        report.write_report(tmp_path / "nope")


def test_render_page_embeds_plotly_only_when_needed():
    plain = report.render_page("T", [("One", "<p>x</p>"), report.Section("b", "Two", "y")])
    assert PLOTLY_BANNER not in plain
    assert '<a href="#b">Two</a>' in plain and '<section id="s0">' in plain


def test_comparison_report(tmp_path):
    base = rf.summary_table()
    diffs = pd.DataFrame({"outcome": ["alpha_falls"], "variant": ["alt"], "a": [0.3],
                          "b": [0.5], "diff": [0.2], "lo": [0.1], "hi": [0.3],
                          "method": ["paired"]})
    out = report.write_comparison_report(tmp_path / "cmp.html", {"baseline": base, "alt": base},
                                         diffs, "Compare <x>",
                                         manifests={"baseline": {"seed": 3}})
    text = out.read_text(encoding="utf-8")
    assert text.count(PLOTLY_BANNER) == 1 and text.count("Plotly.newPlot(") == 2
    assert "Compare &lt;x&gt;" in text and "paired" in text
    assert "+20.0 pp" in text and "+10.0 pp to +30.0 pp" in text  # a probability difference


def test_cli_report_writes_and_prints_path(folder, capsys):
    assert main(["report", str(folder)]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(folder / "report.html")


@pytest.mark.parametrize("make", ["missing", "not_results", "bad_manifest"])
def test_cli_report_bad_folder_one_line_exit_2(tmp_path, capsys, make):
    target = tmp_path / "x"
    if make != "missing":
        target.mkdir()
    if make == "bad_manifest":
        (target / "manifest.json").write_text(json.dumps(["not", "a", "manifest"]))
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(target) in err


def test_a_full_disk_while_writing_the_report_is_one_line_and_leaves_no_temporary_file(
        folder, tmp_path, capsys, monkeypatch):
    """Issue 14 found a 2.9 MB `.report.html.tmp` left on a full disk, after a traceback."""
    import errno
    import shutil

    from sim.experiments import atomic_files

    copy = tmp_path / "res"
    shutil.copytree(folder, copy)
    for page in ("report.html", "briefing.html"):  # as other tests of the module left them
        (copy / page).unlink(missing_ok=True)
    original = atomic_files.atomic_write

    def disk_full_for_html(path, write):
        if path.suffix != ".html":
            return original(path, write)

        def half_then_full(tmp):
            write(tmp)  # the page is in the temporary file when the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device")

        return original(path, half_then_full)

    monkeypatch.setattr(atomic_files, "atomic_write", disk_full_for_html)
    assert main(["report", str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert re.search(r"the disk is full \(writing \S+/(briefing|report)\.html", err), err
    assert list(copy.rglob("*.tmp")) == [] and list(copy.glob("*.html")) == []


def test_parts_that_do_not_fit_together_are_one_line_and_exit_2(folder, tmp_path, capsys):
    """A folder without aggregates is aggregated from its parts; a hand-edited series part
    with a day the control table does not have stopped the report with a traceback."""
    import shutil

    copy = tmp_path / "res"
    shutil.copytree(folder, copy)
    for page in ("report.html", "briefing.html"):
        (copy / page).unlink(missing_ok=True)
    series = next(p for p in sorted((copy / "series").iterdir()) if p.name != "control")
    part = series / "part-00001.parquet"
    df = pd.read_parquet(part)
    df.loc[df.index[0], "day"] = 999
    df.to_parquet(part)
    assert main(["report", str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"{copy}: batch 1: its parts do not fit together" in err, err
    assert not (copy / "report.html").exists()


def test_a_changed_part_of_a_checksummed_folder_is_named_as_damaged(tmp_path, capsys):
    """The report's re-aggregation checks each part against the manifest's sha256."""
    import shutil

    out = tmp_path / "res"
    reference = Path(__file__).parents[1] / "scenarios" / "iraq-2014.yaml"
    assert main(["run", str(reference), "--runs", "20", "--days", "5", "--seed",
                 "3", "--no-report", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    shutil.rmtree(out / "aggregates")
    part = out / "series" / "strength" / "part-00000.parquet"
    df = pd.read_parquet(part)
    df.loc[df.index[0], "day"] = 999
    df.to_parquet(part)
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"{part}: damaged (its sha256 differs"), err


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                    reason="kaleido needs /usr/bin/chromium (tests/ensure_chromium.sh)")
def test_cli_report_export_writes_png_and_svg_of_every_chart(tmp_path, capsys):
    folder = rf.write_results(tmp_path / "res", rf.write_scenario(tmp_path))
    assert main(["report", str(folder), "--export"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [str(folder / "report.html"), f"charts: {folder}/charts"]
    page = (folder / "report.html").read_text(encoding="utf-8")
    names = re.findall(r'data-chart="([^"]+)"', page)
    written = sorted(p.name for p in (folder / "charts").iterdir())
    assert written == sorted(f"{n}.{ext}" for n in names for ext in ("png", "svg"))
    for n in names:
        assert (folder / "charts" / f"{n}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", n
        assert "<svg" in (folder / "charts" / f"{n}.svg").read_text(encoding="utf-8")[:2000], n


@pytest.mark.parametrize("make", ["missing", "charts_is_a_file"])
def test_cli_report_export_bad_folder_one_line_exit_2(tmp_path, capsys, make):
    folder = tmp_path / "x"
    if make == "charts_is_a_file":
        folder = rf.write_results(tmp_path / "res", rf.write_scenario(tmp_path))
        (folder / "charts").write_text("not a folder")
    assert main(["report", str(folder), "--export"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and str(folder) in err, err
    assert "Traceback" not in err and captured.out == ""


def test_report_shares_near_the_edges_and_long_tables(tmp_path):
    """Alpha falls in 1 run of 40 and Bravo is retaken in 39: their Wilson intervals reach
    within 0.5% of 0 and 1, which must read "<0.5%" / ">99.5%", never "0.0%" / "100.0%"."""
    folder = rf.write_results(tmp_path / "res", rf.write_scenario(tmp_path))
    for part in sorted((folder / "runs").iterdir()):
        runs = pd.read_parquet(part)
        runs["out:alpha_falls"] = (runs["rep"] == 0).astype(float)
        runs["out:bravo_retaken"] = (runs["rep"] != 0).astype(float)
        runs.to_parquet(part)
    page = report.write_report(folder).read_text(encoding="utf-8")
    summary = page.split('<table id="')[1].split("</table>")[0]
    assert "&lt;0.5% to 12.9%" in summary and "to &gt;99.5%" in summary
    assert "0.0%" not in summary and "100.0%" not in summary
    # A long table starts collapsed under its row count, with a filter bound to it.
    found = re.findall(r'<details><summary>(\d+) ([^<]*)\(show, filter\)</summary>'
                       r'<input class="filter"[^>]*data-table="(t\d+)"[^>]*>'
                       r'<div class="table-wrap"><table id="(t\d+)"', page)
    assert found and all(int(n) > 12 and box == table for n, _, box, table in found)
    assert "input.filter" in page  # the filter script


def test_comparison_report_shows_titles_changes_and_fans(tmp_path):
    scenario_file = rf.write_scenario(tmp_path)
    folders = {"baseline": rf.write_results(tmp_path / "b", scenario_file),
               "no-air": rf.write_results(tmp_path / "v", scenario_file, variant="no-air")}
    base = rf.summary_table()
    diffs = pd.DataFrame({"outcome": ["alpha_falls"], "variant": ["no-air"], "a": [0.3],
                          "b": [0.5], "diff": [0.2], "lo": [0.1], "hi": [0.3]})
    manifests = {"baseline": {"variant": None}, "no-air": {"variant": "no-air"}}
    from sim.analysis.page import collecting_figures

    with collecting_figures() as figs:
        out = report.write_comparison_report(tmp_path / "cmp.html",
                                             {"baseline": base, "no-air": base}, diffs, "C",
                                             manifests=manifests, folders=folders)
    text = out.read_text(encoding="utf-8")
    variants = text.split('<section id="variants">')[1].split("</section>")[0]
    assert "No air support" in variants and "Green flies no strikes." in variants
    assert "relations.blue-green.support.air.amount = 0" in variants
    assert "the scenario as written" in variants
    over_time = text.split('<section id="over-time">')[1].split("</section>")[0]
    fans = [n for n in figs if n.startswith("fan-")]
    assert fans and all(f'data-chart="{n}"' in over_time for n in fans)
    for n in fans:  # per variant a 50% band and a median line, over the recorded days
        medians = [t for t in figs[n].data if t.mode == "lines"]
        assert [t.name for t in medians] == ["baseline", "no-air"]
        assert list(medians[0].x) == list(range(0, 31, 5))


def test_the_report_does_not_load_numba():
    """Its readers import the aggregation module; its kernels load numba (~55 MB of peak
    memory in the report process) only when a batch is aggregated."""
    import subprocess
    import sys

    code = "import sys, sim.analysis.report; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "False"
