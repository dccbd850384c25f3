"""How noisy is this machine for paired comparisons? Two equal regions of a pure-Python loop, back to
back in one process, many times, at several region lengths: the spread of log(second / first).

    python scripts/pair_noise.py [--seconds 20] [--regions 0.03,0.1,0.3,1]

A pair of equal regions measured one right after the other is the best an interleaved comparison can
do: whatever spread their log ratio shows is the machine's, and each interleaved round of a cell
carries at least that much. Printed per region length: pairs measured, the sd of the log ratio and a
robust one (1.4826 × MAD: the bulk without the tails), and about how many rounds a per-cell verdict
at ±5 % needs at that sd (80 % power, 95 % level, a true change of 0 or 10 %). If the sd falls with
longer regions, the noise is fast and averages out: lengthen the regions; if it does not, it has
memory on the regions' time scale and only more rounds help. Standard library only.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

#: z quantiles: two-sided 95 % and 80 % power.
Z_LEVEL, Z_POWER = 1.959964, 0.841621
#: The per-cell band (log of 1.05) and the known change a calibration looks for (log of 1.10).
BAND, CHANGE = math.log(1.05), math.log(1.10)


def spin(n: int) -> int:
    x = 0
    for i in range(n):
        x += i
    return x


def rounds_needed(sd: float) -> int:
    """Rounds for a per-cell verdict at ±5 %: the harder of an A/A cell shown equivalent and a
    +10 % cell shown slower (normal approximation)."""
    gap = min(BAND, CHANGE - BAND)
    return max(2, math.ceil(((Z_LEVEL + Z_POWER) * sd / gap) ** 2))


def measure(region_s: float, seconds: float, per_iter_s: float) -> list:
    """log(second / first) of back-to-back pairs of ``region_s`` each, for ``seconds``."""
    n = max(1, int(region_s / per_iter_s))
    logs = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(logs) < 3:
        t0 = time.perf_counter()
        spin(n)
        t1 = time.perf_counter()
        spin(n)
        t2 = time.perf_counter()
        logs.append(math.log((t2 - t1) / (t1 - t0)))
    return logs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per region length (default: 20)")
    parser.add_argument(
        "--regions", default="0.03,0.1,0.3,1", help="region lengths in seconds, comma-separated"
    )
    args = parser.parse_args(argv)
    try:
        regions = [float(v) for v in args.regions.split(",")]
    except ValueError:
        regions = []
    if not regions or not all(r > 0 and math.isfinite(r) for r in regions) or not args.seconds > 0:
        print("pair_noise: error: --regions needs lengths > 0 s, --seconds a time > 0", file=sys.stderr)
        return 2
    t = time.perf_counter()
    spin(1_000_000)
    per_iter_s = (time.perf_counter() - t) / 1_000_000
    print("region  pairs  sd of log ratio  robust sd  rounds a ±5 % cell verdict needs")
    for region in regions:
        logs = measure(region, args.seconds, per_iter_s)
        med = statistics.median(logs)
        robust = 1.4826 * statistics.median(abs(v - med) for v in logs)
        sd = statistics.stdev(logs)
        print("%5.2g s  %5d  %15.3f  %9.3f  %d" % (region, len(logs), sd, robust, rounds_needed(sd)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
