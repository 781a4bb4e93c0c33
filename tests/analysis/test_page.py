"""sim.analysis.page: long tables start collapsed, with a filter box bound to the table."""

from __future__ import annotations

import re

from sim.analysis.page import COLLAPSE_ROWS, FILTER_JS, render_page, table_html


def _rows(n: int) -> list[dict[str, str]]:
    return [{"name": f"row {i}", "value": f"{i:,}"} for i in range(n)]


def test_a_short_table_is_shown_open():
    html = table_html(_rows(COLLAPSE_ROWS), ["name", "value"], numeric=["value"])
    assert "<details>" not in html and 'class="filter"' not in html
    assert html.count("<tr>") == COLLAPSE_ROWS + 1
    assert '<td class="num">11</td>' in html  # numeric columns align right


def test_a_long_table_starts_collapsed_with_a_filter_for_that_table():
    html = table_html(_rows(COLLAPSE_ROWS + 1), ["name", "value"], what="regions")
    assert html.startswith("<details><summary>13 regions (show, filter)</summary>")
    assert "<details open" not in html
    table_id = re.search(r'<table id="(t\d+)"', html).group(1)
    box = re.search(r'<input class="filter" type="search"[^>]*>', html).group(0)
    assert f'data-table="{table_id}"' in box
    assert html.count("<tr>") == COLLAPSE_ROWS + 2  # every row is there, only hidden


def test_collapse_zero_never_collapses():
    assert "<details>" not in table_html(_rows(500), ["name"], collapse=0)


def test_the_page_carries_the_filter_script():
    page = render_page("T", [("Long", table_html(_rows(40), ["name"]))])
    assert FILTER_JS in page and "input.filter" in FILTER_JS
    assert "<details><summary>40 rows (show, filter)</summary>" in page
