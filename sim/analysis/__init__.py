"""Reading results: statistics, charts, the HTML report."""
