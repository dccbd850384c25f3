"""The numbers: load and validate run folders, statistics, models, pairing of runs and rounds,
comparisons, advice and the CI gate. No matplotlib and no HTML: report/page/ draws what this computes."""
