"""report/analysis/verdicts.py on synthetic data with known answers: each rule's A/A rate, its rate
of finding a known change, and the coverage of its intervals (issue 19's targets).

Noise is lognormal (normal on the log ratios). Every simulation has a fixed seed; the counts are
large enough that the stated tolerance is several Monte Carlo standard errors wide (a rate near 95 %
from 4000 draws has a standard error of 0.34 %).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from report.analysis import verdicts as V

THRESHOLD = 0.05
NOISE = 0.03  # per-round sd of a log ratio: 3 %
TEN = math.log(1.10)
TWENTY = math.log(1.20)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def rate(verdicts, *words) -> float:
    verdicts = list(verdicts)
    return sum(v.verdict in words for v in verdicts) / len(verdicts)


def covered(v: V.Verdict, true_log: float) -> bool:
    return v.low <= math.exp(true_log) <= v.high


# --- 1. Paired rounds, one cell ------------------------------------------------------------------


def test_paired_aa_calls_nothing_and_is_mostly_equivalent():
    r = rng(1)
    found = [V.paired_verdict(r.normal(0, NOISE, 9), THRESHOLD) for _ in range(2000)]
    assert rate(found, V.FASTER, V.SLOWER) <= 0.05  # at 4000 simulations: 0.0 (bound 2.5 %)
    assert rate(found, V.EQUIVALENT) >= 0.90  # 0.982


def test_paired_known_change_is_called_in_the_right_direction():
    r = rng(2)
    ten = [V.paired_verdict(r.normal(TEN, NOISE, 9), THRESHOLD) for _ in range(1000)]
    twenty = [V.paired_verdict(r.normal(TWENTY, NOISE, 9), THRESHOLD) for _ in range(1000)]
    assert rate(ten, V.SLOWER) >= 0.80  # 0.984
    assert rate(twenty, V.SLOWER) >= 0.99  # 1.0
    assert rate(ten + twenty, V.FASTER, V.EQUIVALENT) == 0
    # A speedup (higher is better) that grew is "faster".
    up = V.paired_verdict(r.normal(TWENTY, NOISE, 9), THRESHOLD, better=+1)
    assert up.verdict == V.FASTER and up.ratio > 1.15


@pytest.mark.parametrize("rounds", [6, 9])
def test_paired_intervals_cover_the_true_ratio(rounds):
    r = rng(3 + rounds)
    found = [V.paired_verdict(r.normal(TEN, NOISE, rounds), THRESHOLD) for _ in range(2500)]
    coverage = np.mean([covered(v, TEN) for v in found])
    assert 0.93 <= coverage <= 0.97  # 4000 simulations: 0.956 (6 rounds), 0.952 (9 rounds)


def test_a_change_at_the_threshold_is_not_called_beyond_it():
    r = rng(4)
    found = [V.paired_verdict(r.normal(math.log1p(THRESHOLD), NOISE, 9), THRESHOLD) for _ in range(1000)]
    assert rate(found, V.SLOWER) <= 0.05  # bound 2.5 %: "slower" means shown beyond the threshold


def test_threshold_means_what_it_says():
    # A 3 % change measured precisely: slower at 2 %, equivalent at 5 %; nothing raises 2 % to 5 %.
    x = rng(5).normal(math.log(1.03), 0.002, 9)
    assert V.paired_verdict(x, 0.02).verdict == V.SLOWER
    assert V.paired_verdict(x, 0.02).threshold == 0.02
    assert V.paired_verdict(x, 0.05).verdict == V.EQUIVALENT
    assert V.paired_verdict(x, 0.0).verdict == V.SLOWER  # 0: a plain significance test
    with pytest.raises(ValueError):
        V.paired_verdict(x, -0.01)


def test_verdict_always_agrees_with_its_interval():
    r = rng(6)
    for _ in range(500):
        v = V.paired_verdict(r.normal(r.normal(0, 0.1), r.uniform(0.005, 0.1), r.integers(2, 15)), 0.05)
        band = math.log1p(0.05)
        lo, hi = math.log(v.low), math.log(v.high)
        assert (v.verdict == V.SLOWER) == (lo > band)
        assert (v.verdict == V.FASTER) == (hi < -band)
        assert (v.verdict == V.EQUIVALENT) == (-band < lo and hi < band)


def test_detectable_change_and_rounds_to_settle_are_what_they_claim():
    # Exactly mean log(1.08) and sd 3 % in 6 rounds: the rounds it asks for settle "slower" ~80 %.
    z = rng(7).normal(size=6)
    x = math.log(1.08) + NOISE * (z - z.mean()) / z.std(ddof=1)
    v = V.paired_verdict(x, THRESHOLD)
    assert v.verdict == V.INCONCLUSIVE
    assert math.isclose(v.sd, NOISE) and math.isfinite(v.rounds_to_settle) and v.rounds_to_settle > 6
    r = rng(8)
    n = int(v.rounds_to_settle)
    settled = [V.paired_verdict(r.normal(math.log(1.08), NOISE, n), THRESHOLD) for _ in range(1000)]
    assert 0.72 <= rate(settled, V.SLOWER) <= 0.90  # 80 % power by construction
    # The detectable change at 9 rounds is found 80 % of the time.
    d = V.paired_verdict(r.normal(0, NOISE, 9), THRESHOLD)
    assert d.detectable > THRESHOLD
    big = math.log1p(d.detectable)
    found = [V.paired_verdict(r.normal(big, NOISE, 9), THRESHOLD) for _ in range(1000)]
    assert 0.65 <= rate(found, V.SLOWER) <= 0.95  # d uses this sample's sd, so it varies around 80 %


def test_too_few_rounds_is_inconclusive_not_an_error():
    v = V.paired_verdict([0.1], THRESHOLD)
    assert v.verdict == V.INCONCLUSIVE and "2 rounds" in v.note
    assert V.paired_verdict([math.nan, math.nan], THRESHOLD).verdict == V.INCONCLUSIVE
    assert V.paired_verdict([0.0, 0.0, 0.0], THRESHOLD).verdict == V.EQUIVALENT  # identical values


# --- 2. A family -----------------------------------------------------------------------------------


def family_rates(mu: float, rounds: int, seed: int, families: int = 10) -> dict:
    r = rng(seed)
    counts: dict = {}
    for _ in range(families):
        fam = V.family_verdicts(list(r.normal(mu, NOISE, (150, rounds))), THRESHOLD)
        for k, n in fam.counts.items():
            counts[k] = counts.get(k, 0) + n / (150 * families)
    return counts


def test_family_of_150_aa_calls_nothing():
    c = family_rates(0.0, 9, 10, families=20)
    assert c[V.SLOWER] + c[V.FASTER] <= 0.05  # 30 families: 0
    assert c[V.EQUIVALENT] >= 0.90  # 0.981


@pytest.mark.parametrize(
    "mu, rounds, at_least",
    [(TEN, 9, 0.80), (TWENTY, 9, 0.99), (TEN, 6, 0.75), (TEN, 10, 0.95), (TWENTY, 6, 0.99)],
)
def test_family_of_150_finds_a_change_in_every_cell(mu, rounds, at_least):
    # 30 families: 10 % at 9 rounds 0.983, 20 % at 9: 1.0, 10 % at 6: 0.815, 10 % at 10: 0.99,
    # 20 % at 6: 1.0
    c = family_rates(mu, rounds, 11 + rounds)
    assert c[V.SLOWER] >= at_least
    assert c[V.FASTER] == 0


def test_family_decides_a_few_changed_cells_at_6_rounds():
    # 30 of 150 cells 20 % slower, 6 rounds: a family the exact signed-rank test + BH cannot call at all
    # (its smallest p, 2/2^6 = 0.031, times 150 / 30 is above 0.05).
    r = rng(12)
    found = false = calls = equivalent = miss = selected = 0
    for _ in range(20):
        mu = np.zeros(150)
        mu[:30] = TWENTY
        fam = V.family_verdicts(list(r.normal(mu[:, None], NOISE, (150, 6))), THRESHOLD)
        words = [c.verdict for c in fam.cells]
        found += sum(w == V.SLOWER for w in words[:30])
        false += sum(w in V.CHANGED for w in words[30:])
        calls += sum(w in V.CHANGED for w in words)
        equivalent += sum(w == V.EQUIVALENT for w in words[30:])
        for c, m in zip(fam.cells, mu):
            if c.changed:
                selected += 1
                miss += not covered(c, m)
                assert c.confidence == fam.level > 0.95  # the FCR-adjusted (wider) level is shown
    assert found / 600 >= 0.90  # 100 families: 1.0
    assert false / calls <= 0.05  # false discoveries among calls: 0.0
    assert equivalent / 2400 >= 0.6  # 0.78 (6 rounds of 3 % noise)
    assert miss / selected <= 0.05  # false coverage among the selected (Benjamini–Yekutieli)


# --- 3. Pooling --------------------------------------------------------------------------------------


def correlated(r, mu, rounds=9, cells=20, round_sd=0.02):
    """Per-round log ratios of cells that share each round's disturbance."""
    return mu + r.normal(0, round_sd, (rounds, 1)) + r.normal(0, NOISE, (rounds, cells))


def test_pooled_aa_respects_the_rounds_correlation():
    r = rng(20)
    found, naive = [], []
    for _ in range(1500):
        x = correlated(r, 0.0)
        found.append(V.pooled_verdict(x, 0.02).verdict)
        se = x.std(ddof=1) / math.sqrt(x.size)  # cells treated as independent
        naive.append(abs(x.mean()) <= 1.96 * se)
    assert rate(found, V.SLOWER, V.FASTER) <= 0.05  # 4000 simulations: 0.0
    coverage = np.mean([covered(v, 0.0) for v in found])
    assert 0.93 <= coverage <= 0.97  # 0.954
    assert np.mean(naive) < 0.8  # what ignoring the correlation gives: 0.53


def test_pooled_finds_a_5_percent_common_change():
    r = rng(21)
    five = math.log(1.05)
    pooled, cells = [], []
    for _ in range(200):
        x = correlated(r, five)
        p = V.pooled_verdict(x, 0.02)
        pooled.append(p.verdict)
        cells.append(V.family_verdicts(list(x.T), 0.02).counts[V.SLOWER] / 20)
        assert p.cells == 20 and p.rounds == 9
    assert rate(pooled, V.SLOWER) >= 0.90  # 1000 simulations: 0.952
    assert np.mean(cells) < 0.8  # cell by cell the same data finds it far less often (0.39)
    assert rate(pooled, V.FASTER) == 0


def test_pooled_handles_missing_values_and_reports_heterogeneity():
    r = rng(22)
    x = correlated(r, TEN)
    x[0, 3] = x[4, 7] = np.nan
    p = V.pooled_verdict(x, THRESHOLD)
    assert p.verdict.verdict == V.SLOWER and p.same_direction == 1.0
    mixed = correlated(r, 0.0) + np.where(np.arange(20) < 10, TWENTY, -TWENTY)
    q = V.pooled_verdict(mixed, THRESHOLD)
    assert q.heterogeneity > 0.1 and q.same_direction < 0.7  # half up, half down: no single figure


# --- 4. Separately started runs ----------------------------------------------------------------------


def runs(r, runs_n, cells=150, run_sd=0.03, cell_sd=0.02, shift=0.0, effect=None):
    truth = r.normal(0, 1, cells)
    base = truth + r.normal(0, run_sd, (runs_n, 1)) + r.normal(0, cell_sd, (runs_n, cells))
    new = truth + shift + r.normal(0, run_sd) + r.normal(0, cell_sd, cells)
    return base, new + (0 if effect is None else effect)


def test_separate_aa_with_a_3_percent_offset_calls_nothing():
    r = rng(30)
    calls = shift_calls = 0
    for _ in range(200):
        base, new = runs(r, 1, run_sd=0.0, shift=0.03)
        s = V.separate_runs(base, new, THRESHOLD)
        calls += sum(c.changed for c in s.cells)
        shift_calls += s.shift.changed
        assert s.cause == "machine or code" and s.shift.verdict == V.INCONCLUSIVE
    assert calls / (200 * 150) <= 0.05  # 1000 simulations: 0
    assert shift_calls == 0


def test_separate_common_shift_against_repeated_baseline_runs():
    r = rng(31)
    aa = [V.separate_runs(*runs(r, 5), THRESHOLD) for _ in range(150)]
    assert rate([s.shift for s in aa], V.SLOWER, V.FASTER) <= 0.05  # 1000 simulations: 0.004
    assert all(s.cause == "code" and s.noise.runs == 5 for s in aa)
    # The README's gate: three runs of the old code, one doing its work twice.
    for _ in range(20):
        base, new = runs(r, 3, shift=math.log(2))
        s = V.separate_runs(base, new, THRESHOLD)
        assert s.shift.verdict == V.SLOWER and s.cause == "code"
        # The candidate is not in its own noise estimate: it is the baseline runs' alone.
        assert s.noise == V.run_noise(base) and s.noise.shift_sd < 0.15


def test_separate_one_pair_never_blames_the_code_for_a_plausible_drift():
    r = rng(32)
    for shift in (math.log(1.10), math.log(0.7)):
        s = V.separate_runs(*runs(r, 1, run_sd=0.0, shift=shift), THRESHOLD)
        assert s.shift.verdict == V.INCONCLUSIVE and s.cause == "machine or code"
    s = V.separate_runs(*runs(r, 1, run_sd=0.0, shift=math.log(3)), THRESHOLD)
    assert s.shift.verdict == V.SLOWER and s.cause == "code"  # beyond any machine drift (2x)


def rounds_of(r, truth, step=0.0, rounds=6, level_sd=0.05):
    """One run's (rounds, cells) log values: its run-level shift, a per-round machine level, and from
    the middle round on ``step`` more (the machine slowing under it)."""
    level = r.normal(0, level_sd, rounds)
    level[rounds // 2 :] += step
    return truth + r.normal(0, 0.03) + level[:, None] + r.normal(0, 0.08, (rounds, truth.size))


def test_separate_a_machine_that_changed_under_the_candidate_is_not_the_code():
    """Scenarios of 21 cells, 6 rounds, 3 baseline runs (250 simulations here; 2000 measured): a steady
    A/A is taken for unsteady in 0.8 % (the test: 1 %); an A/A whose candidate ran 1.5x slower
    from its middle round on was called "slower" in 47 % without the check, 0 % with it; a steady
    +10 % is called as often with the check as without (10.7 %, 10.9 %), a steady 2x in 99.5 %."""
    r = rng(34)
    N = 250

    def trial(shift, step):
        truth = r.normal(0, 1, 21)
        base = [rounds_of(r, truth) for _ in range(3)]
        cand = rounds_of(r, truth + shift, step)
        steady = V.steadiness([V.round_levels(b) for b in base], V.round_levels(cand))
        medians = np.array([np.median(b, axis=0) for b in base])
        plain = V.separate_runs(medians, np.median(cand, axis=0), THRESHOLD)
        checked = V.separate_runs(medians, np.median(cand, axis=0), THRESHOLD, steady=steady)
        return steady, plain.shift, checked

    steady_aa = [trial(0.0, 0.0) for _ in range(N)]
    assert np.mean([t[0].unsteady for t in steady_aa]) <= 0.025
    stepped = [trial(0.0, 0.4) for _ in range(N)]
    assert rate([t[1] for t in stepped], V.SLOWER) >= 0.3  # the old rule: the machine blamed on the code
    assert rate([t[2].shift for t in stepped], V.SLOWER, V.FASTER) <= 0.01
    assert all(t[2].cause == "machine or code" for t in stepped if t[0].unsteady)
    assert all("machine changed under the candidate" in t[2].shift.note for t in stepped if t[0].unsteady)
    still = V.steadiness([np.zeros(6)], [0.0, 0.0, 0.0, 0.1, 0.1, 0.1])
    assert still.unsteady and "the baseline runs' did not move" in still.note
    assert not V.steadiness([np.zeros(6)], np.zeros(6)).unsteady
    doubled = [trial(math.log(2), 0.0) for _ in range(60)]
    assert rate([t[2].shift for t in doubled], V.SLOWER) >= 0.95


def test_separate_finds_cell_specific_changes_around_the_shift():
    r = rng(33)
    found = false = 0
    for _ in range(200):
        effect = np.zeros(150)
        effect[:10] = TWENTY
        s = V.separate_runs(*runs(r, 1, run_sd=0.0, shift=0.03, effect=effect), THRESHOLD)
        found += sum(c.verdict == V.SLOWER for c in s.cells[:10])
        false += sum(c.changed for c in s.cells[10:])
    assert found / 2000 >= 0.80  # 1000 simulations: 0.874
    assert false / (200 * 140) <= 0.01


# --- 5. Attribution ------------------------------------------------------------------------------------


def test_machine_change_aa_and_a_busy_machine():
    r = rng(40)
    aa = [
        V.machine_change(1.95 * np.exp(r.normal(0, 0.04, 3)), 1.95 * np.exp(r.normal(0, 0.04, 3)))
        for _ in range(2000)
    ]
    assert np.mean([m.changed for m in aa]) <= 0.06  # 4000 simulations: 0.043 (two-sided bound 5 %)
    busy = V.machine_change([1.14, 1.18, 1.10], [1.95, 1.93, 1.96])
    assert busy.verdict == "changed" and 1.6 < busy.ratio < 1.8
    assert V.machine_change([1.95], [1.14]).verdict == "unknown"  # one reading each: noise unknown
    assert V.machine_change([1.95], [1.14], reading_sd=0.04).verdict == "changed"


def test_attribute_parallel_cells_to_the_machine():
    r = rng(41)
    busy = V.machine_change([1.14, 1.18, 1.10], [1.95, 1.93, 1.96])  # capacity rose 1.7x
    quiet = V.machine_change([1.95, 1.93, 1.96], [1.94, 1.95, 1.93])
    faster = V.paired_verdict(r.normal(math.log(1 / 1.7), NOISE, 9), THRESHOLD)  # parallel wall time
    assert faster.verdict == V.FASTER
    assert V.attribute(faster, busy, exponent=-1) == "the machine changed"
    assert V.attribute(faster, quiet, exponent=-1) == "code"
    much = V.paired_verdict(r.normal(math.log(1 / 3.0), NOISE, 9), THRESHOLD)
    assert V.attribute(much, busy, exponent=-1) == "code"  # 3x is more than the machine's 1.7x
    slower = V.paired_verdict(r.normal(math.log(1.7), NOISE, 9), THRESHOLD)
    assert V.attribute(slower, busy, exponent=-1) == "code"  # the machine moved the other way
    unknown = V.machine_change([1.95], [1.14])
    assert V.attribute(faster, unknown, exponent=-1) == "machine or code"
    assert V.attribute(V.paired_verdict(r.normal(0, NOISE, 9), THRESHOLD), busy) == ""


# --- 6. Adaptive stopping ------------------------------------------------------------------------------


def stein_run(r, mu, sd, n_first=6, n_max=40, threshold=THRESHOLD):
    """One adaptive run: Stein's total from the first stage, then that many rounds."""
    x = r.normal(mu, sd, n_max)
    n = V.stein_rounds(x[:n_first], math.log1p(threshold) / 2, n_max=n_max)
    return x[:n]


@pytest.mark.parametrize("mu, sd", [(TEN, NOISE), (0.0, 0.08), (math.log1p(THRESHOLD), NOISE)])
def test_adaptive_stopping_keeps_coverage(mu, sd):
    r = rng(50)
    found = [V.paired_verdict(stein_run(r, mu, sd), THRESHOLD, n_first=6) for _ in range(2500)]
    coverage = np.mean([covered(v, mu) for v in found])
    assert 0.93 <= coverage <= 0.97  # 4000 simulations: 0.956, 0.956, 0.947
    if mu == TEN:
        assert rate(found, V.SLOWER) >= 0.90  # 0.992, in 9 rounds (median)
    if mu == 0.0:
        assert rate(found, V.SLOWER, V.FASTER) <= 0.05


def test_settled_after_every_round_stops_where_stein_says():
    r = rng(51)
    for _ in range(100):
        x = r.normal(TEN, NOISE, 40)
        n = next(k for k in range(1, 41) if V.settled(x[:k], THRESHOLD, n_first=6, n_max=40))
        assert n == V.stein_rounds(x[:6], math.log1p(THRESHOLD) / 2, n_max=40)
        assert not V.settled(x[:5], THRESHOLD)
    assert V.group_settled([x[:40], x[:40]], THRESHOLD)
    assert not V.group_settled([x[:40], x[:3]], THRESHOLD)


# --- 7. Advice -------------------------------------------------------------------------------------------

OPTIONS = ["sequential", "thread_pool × 2", "thread × 2", "process_pool × 2", "process × 4"]


def panel(r, true_logs, rounds=8):
    shared = r.normal(0, 0.05, rounds)  # the round's conditions move every option of the round
    return {k: mu + shared + r.normal(0, NOISE, rounds) for k, mu in zip(OPTIONS, true_logs)}


def test_advice_never_picks_what_its_data_shows_slower():
    r = rng(60)
    wrong = 0
    verdicts: dict = {}
    for _ in range(200):
        true = r.choice([0.0, -0.03, -0.06, -0.1, -0.4, 0.05], size=5)
        data = panel(r, true)
        a = V.advise(data, THRESHOLD)
        verdicts[a.verdict] = verdicts.get(a.verdict, 0) + 1
        if a.choice is None:
            assert a.unsettled and a.rounds_to_settle >= 8
            continue
        for other in OPTIONS:
            if other != a.choice:
                assert V.paired_verdict(data[a.choice] - data[other], THRESHOLD).verdict != V.SLOWER
        wrong += true[OPTIONS.index(a.choice)] > true.min() + math.log1p(THRESHOLD)
    assert wrong / 200 <= 0.02  # 2000 panels: 0
    assert set(verdicts) <= {"fastest", "equivalent", V.INCONCLUSIVE}


def test_advice_textbook_panels():
    r = rng(61)
    # Processes 1.8x, threads no faster than sequential (the GIL): processes.
    a = V.advise(panel(r, [0, 0, 0, math.log(1 / 1.8), math.log(1 / 1.6)]), THRESHOLD)
    assert a.choice == "process_pool × 2" and a.verdict == "fastest"
    # Threads as fast as processes (I/O, C code releasing the GIL): the simpler, threads.
    a = V.advise(
        panel(r, [0, math.log(0.5), math.log(0.5), math.log(0.5), math.log(0.5)], rounds=10), THRESHOLD
    )
    assert a.choice == "thread_pool × 2" and a.verdict in ("equivalent", "fastest")
    # Processes 8 % faster than the thread pool, 4 % noise on their ratio, 6 rounds: the interval
    # [3.5 %, 12 %] neither clears the threshold nor lies within it, so inconclusive.
    z = r.normal(size=6)
    z = (z - z.mean()) / z.std(ddof=1)
    data = {k: np.full(6, 0.0) for k in OPTIONS}
    data["process_pool × 2"] = np.log(0.5) + 0.02 * z
    data["thread_pool × 2"] = data["process_pool × 2"] + math.log(1.08) + 0.04 * z[::-1]
    a = V.advise(data, THRESHOLD)
    assert a.choice is None and a.verdict == V.INCONCLUSIVE and a.unsettled == ["thread_pool × 2"]
    assert a.rounds_to_settle > 6 and "rounds would settle" in a.reason
    # A/A: everything the same: never "the fastest" of a more involved option (it would need every
    # simpler option shown slower); a simpler option shown equivalent, or inconclusive.
    aa = [V.advise(panel(r, [0, 0, 0, 0, 0]), THRESHOLD) for _ in range(100)]
    assert (
        sum(a.verdict == "fastest" and a.choice != "sequential" for a in aa) / 100 <= 0.05
    )  # 1000 panels: 0


# --- Sentences ----------------------------------------------------------------------------------------


def test_describe_quotes_the_direction_and_the_figures():
    r = rng(70)
    slow = V.paired_verdict(r.normal(TWENTY, NOISE, 9), THRESHOLD)
    text = slow.describe()
    assert text.startswith("slower: 1.2") and "at ±5 %" in text
    open_ = V.paired_verdict(r.normal(math.log(1.06), NOISE, 6), THRESHOLD)
    assert open_.verdict == V.INCONCLUSIVE and "rounds would settle it" in open_.describe()
    neutral = V.family_verdicts(
        [r.normal(-TWENTY, NOISE, 9), r.normal(0, NOISE, 9)], THRESHOLD, better=[0, 1]
    )
    assert [c.verdict for c in neutral.cells] == [V.LOWER, V.EQUIVALENT]
    assert neutral.summary() == "2 comparisons: 1 lower, 1 equivalent"
    assert V.family_verdicts([], THRESHOLD).cells == []
