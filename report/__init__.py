"""gilbench's reading side: load run folders, compute statistics and models, render one HTML page."""

from report.analysis.load import DataProblems, Results, ResultsError, Run, load_results

__all__ = ["DataProblems", "Results", "ResultsError", "Run", "load_results"]
