"""A change to a small workload: ``size`` thousand steps of pure-Python arithmetic."""

#: How much work one call does, relative to the base version: 10 % more.
WORK = 1.1


def spin(index, size=100):
    total = index
    for i in range(int(size * 1000 * WORK)):
        total += i * i % 7
    return total
