"""sim.analysis.formatting: shares never round to 0% or 100% that did not occur."""

from __future__ import annotations

import math

import pytest

from sim.analysis.formatting import day, num, pct, pp


@pytest.mark.parametrize(("p", "text"), [
    (0.0, "0%"), (1.0, "100%"),  # exactly never / always: said as such
    (0.001, "<0.5%"), (0.0049, "<0.5%"), (1e-9, "<0.5%"),
    (0.999, ">99.5%"), (0.9951, ">99.5%"), (1 - 1e-9, ">99.5%"),
    (0.005, "0.5%"), (0.995, "99.5%"), (0.3, "30.0%"), (0.0123, "1.2%"),
    (float("nan"), ""), (math.inf, ""), (None, ""), ("x", ""),
])
def test_pct_edges(p, text):
    assert pct(p) == text


def test_pct_with_fewer_digits_never_rounds_to_the_ends():
    assert pct(0.006, 0) == "1%" and pct(0.003, 0) == "<0.5%"
    assert pct(0.996, 0) == ">99.5%"  # "100%" would claim every run
    assert pct(0.994, 0) == "99%"


def test_numbers_have_thousands_separators_and_never_exponents():
    assert num(20100) == "20,100" and num(20100.4) == "20,100" and num(1_234_567) == "1,234,567"
    assert num(0.312) == "0.312" and num(math.inf) == "never" and num(float("nan")) == ""
    assert pp(0.123) == "+12.3 pp" and pp(-0.05) == "-5.0 pp"


def test_days_of_timing_outcomes_keep_never_censored():
    assert day(45) == "day 45" and day(math.inf, 180) == "not by day 180"
    assert day(math.inf) == "not by the horizon" and day(float("nan")) == ""
