"""A run is flagged noisy when its machine changed under it, was loaded, or lost CPU to other guests."""

from experiments.harness.capacity import assess_noise
from experiments.schema import Environment


def _env(**machine):
    base = {
        "label": "m",
        "load_avg_start": [0.1, 0.1, 0.1],
        "cpu_steal_s_start": 10.0,
        "cpu_steal_s_end": 10.5,
    }
    base.update(machine)
    return Environment(
        run_id="r",
        created_utc="2026-01-01T00:00:00Z",
        finished_utc="2026-01-01T00:01:40Z",
        interpreter={"label": "cpython"},
        machine=base,
        capacity={"start": {"1": 1.0, "2": 1.9}, "end": {"1": 1.0, "2": 1.85}},
    )


def test_a_quiet_run_is_not_noisy():
    env = _env()
    assess_noise(env, 2)
    assert env.noisy is False and env.noisy_reasons == []
    assert abs(env.capacity["moved_fraction"] - 0.05 / 1.9) < 1e-9


def test_each_cause_is_named():
    env = _env(load_avg_start=[1.5, 1.0, 1.0], load_avg_end=[3.5, 2.0, 1.0], cpu_steal_s_end=30.0)
    env.capacity["end"]["2"] = 1.2
    assess_noise(env, 2)
    text = " ".join(env.noisy_reasons)
    assert env.noisy and "capacity at 2 processes moved" in text
    assert "load average was 1.50" in text and "steal" in text
    assert "was 3.50 on 2 cores when the run ended" in text
