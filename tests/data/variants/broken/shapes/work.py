"""A version of the small workload that raises on every call."""


def spin(index, size=100):
    raise ValueError("broken variant: bad input %d" % index)
