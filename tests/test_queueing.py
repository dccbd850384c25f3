"""The M/M/c/K maths against closed forms that textbooks give."""

import ast
import math
import sys
from pathlib import Path

import pytest

from experiments.catalogue.toolkit import queueing


@pytest.mark.parametrize("rho", [0.3, 0.5, 0.9, 1.0, 1.5])
@pytest.mark.parametrize("capacity", [1, 2, 6, 51])
def test_mm1k_full_probability_matches_the_closed_form(rho, capacity):
    probs = queueing.state_probabilities(rho * 100.0, 100.0, 1, capacity)
    if rho == 1.0:
        expected = 1.0 / (capacity + 1)
    else:
        expected = (1 - rho) * rho**capacity / (1 - rho ** (capacity + 1))
    assert math.isclose(probs[-1], expected, rel_tol=1e-9)
    assert math.isclose(sum(probs), 1.0, rel_tol=1e-12)


@pytest.mark.parametrize("servers", [1, 2, 3, 8])
@pytest.mark.parametrize("offered", [0.5, 1.0, 2.0, 7.0])
def test_mmcc_loss_is_erlang_b(servers, offered):
    direct = (offered**servers / math.factorial(servers)) / sum(
        offered**k / math.factorial(k) for k in range(servers + 1)
    )
    assert math.isclose(queueing.erlang_b(servers, offered), direct, rel_tol=1e-12)
    probs = queueing.state_probabilities(offered, 1.0, servers, servers)
    assert math.isclose(probs[-1], direct, rel_tol=1e-12)
    # With no waiting room (maxsize would be 0, so use the chain directly) a dropping producer
    # loses exactly the Erlang B share; with one waiting place it loses less.
    one_slot = queueing.queue_prediction(offered, 1.0, servers, 1, blocking=False)
    assert one_slot["drop_fraction"] < direct


def test_known_values():
    assert queueing.erlang_b(1, 1.0) == pytest.approx(0.5)
    assert queueing.erlang_b(2, 1.0) == pytest.approx(0.2)
    assert queueing.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # M/M/1/2 at rho = 0.9: the dropping producer of a Queue(maxsize=1) with one consumer.
    p = queueing.queue_prediction(0.9, 1.0, 1, 1, blocking=False)
    assert p["drop_fraction"] == pytest.approx(0.1 * 0.81 / (1 - 0.729))


@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_unbounded_single_server_is_mm1(rho):
    mu = 1000.0
    p = queueing.queue_prediction(rho * mu, mu, 1, 0, blocking=False)
    assert p["drop_fraction"] == 0 and p["blocked_fraction"] == 0
    assert p["mean_depth"] == pytest.approx(rho**2 / (1 - rho))
    assert p["latency_mean_s"] == pytest.approx(1 / (mu - rho * mu))


def test_a_large_bound_approaches_the_unbounded_queue():
    bounded = queueing.queue_prediction(1.6, 1.0, 2, 400, blocking=False)
    unbounded = queueing.queue_prediction(1.6, 1.0, 2, 0, blocking=False)
    assert bounded["mean_depth"] == pytest.approx(unbounded["mean_depth"], rel=1e-6)
    assert bounded["drop_fraction"] < 1e-12


def test_unbounded_overload_has_no_steady_state():
    assert queueing.queue_prediction(2.0, 1.0, 2, 0, blocking=True) is None
    with pytest.raises(ValueError):
        queueing.erlang_c(2, 2.0)


@pytest.mark.parametrize("blocking", [False, True])
@pytest.mark.parametrize("servers,maxsize", [(1, 1), (1, 5), (2, 1), (2, 10)])
def test_predictions_obey_littles_law_and_the_chain_they_name(blocking, servers, maxsize):
    lam, mu = 1.7, 1.0
    p = queueing.queue_prediction(lam, mu, servers, maxsize, blocking)
    top = maxsize + servers + (1 if blocking else 0)
    probs = queueing.state_probabilities(lam, mu, servers, top)
    assert p["throughput_hz"] == pytest.approx(lam * (1 - probs[-1]))
    assert p["mean_in_system"] == pytest.approx(p["throughput_hz"] * p["latency_mean_s"])
    assert 0 <= p["mean_depth"] <= maxsize
    if blocking:
        assert p["drop_fraction"] == 0 and p["blocked_fraction"] == pytest.approx(probs[-1])
    else:
        assert p["blocked_fraction"] == 0 and p["drop_fraction"] == pytest.approx(probs[-1])


def test_more_room_never_loses_more():
    drops = [queueing.queue_prediction(0.9, 1.0, 1, m, False)["drop_fraction"] for m in (1, 2, 5, 10, 50)]
    assert drops == sorted(drops, reverse=True)


@pytest.mark.parametrize("args", [(-1.0, 1.0, 1, 2), (1.0, 0.0, 1, 2), (1.0, 1.0, 0, 2), (1.0, 1.0, 3, 2)])
def test_bad_arguments_are_refused(args):
    with pytest.raises(ValueError):
        queueing.state_probabilities(*args)


def test_queueing_imports_the_standard_library_only():
    source = Path(queueing.__file__).read_text()
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    stdlib = getattr(sys, "stdlib_module_names", None)
    if stdlib is None:
        pytest.skip("sys.stdlib_module_names needs Python 3.10+")
    assert names <= set(stdlib) | {"__future__"}, names - set(stdlib)
