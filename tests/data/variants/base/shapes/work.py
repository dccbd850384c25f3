"""The base version of a small workload: ``size`` thousand steps of pure-Python arithmetic."""

#: How much work one call does, relative to the base version.
WORK = 1.0


def spin(index, size=100):
    total = index
    for i in range(int(size * 1000 * WORK)):
        total += i * i % 7
    return total
