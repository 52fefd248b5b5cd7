import math

import pytest
import torch

from sciml.pinn import Loss, Problem, Trainer, TrainerConfig
from sciml.pinn.muntz import (
    MSN,
    ConstraintSchedule,
    ExponentTrace,
    MuntzAnsatz1d,
    WedgeAnsatz,
    exponent_error,
    muntz_param_groups,
    recovered_exponents,
    wedge_problem,
)

torch.set_num_threads(1)
DT = torch.float64
OMEGA = 1.5 * math.pi


def _corner_problem():
    theta = torch.linspace(0.0, OMEGA, 48, dtype=DT)
    return wedge_problem(
        edge_r=torch.linspace(1 / 16, 1.0, 16, dtype=DT),
        arc_theta=theta,
        arc_values=torch.sin(2 * theta / 3),
    )


@pytest.mark.parametrize(
    "model", [MuntzAnsatz1d(3, dtype=DT), WedgeAnsatz(2, omega=OMEGA), MSN([1, 4, 1])]
)
def test_param_groups_partition_the_parameters(model):
    groups = muntz_param_groups(model)
    ids = [id(p) for ps in groups.values() for p in ps]
    assert sorted(groups) == ["coefficients", "exponents"]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))


def test_param_groups_get_their_learning_rates():
    model = MuntzAnsatz1d(2, dtype=DT)
    x = torch.linspace(0.1, 1.0, 8, dtype=DT)
    config = TrainerConfig(
        steps=1, group_lrs={"exponents": 0.5, "coefficients": 0.25}, dtype=DT, progress=False
    )
    trainer = Trainer(
        model, Problem([Loss.data("d", x, x)]), config, param_groups=muntz_param_groups(model)
    )
    lrs = {g["name"]: g["lr"] for g in trainer.optimizer.param_groups}
    assert lrs == {"exponents": 0.5, "coefficients": 0.25}


def test_param_groups_reject_a_plain_module():
    with pytest.raises(TypeError, match="exponent_parameters"):
        muntz_param_groups(torch.nn.Linear(1, 1))


def test_exponent_trace_records_every_k_steps():
    model = MuntzAnsatz1d(2, bounds=(0.0, 3.0), dtype=DT)
    x = torch.linspace(0.05, 1.0, 32, dtype=DT)
    config = TrainerConfig(steps=25, lr=1e-2, dtype=DT, progress=False)
    trainer = Trainer(model, Problem([Loss.data("d", x, x**0.5)]), config)
    trace = trainer.add_hook(ExponentTrace(every=10))
    trainer.fit()
    assert trace.steps == [0, 10, 20]
    assert trace.exponents[0] == pytest.approx([1.0, 2.0])  # linspace over (0, 3)
    assert len(trace.coefficients[0]) == 2 and trace.coefficients[0] == pytest.approx([0.1, 0.1])
    assert trace.exponents[-1] != pytest.approx(trace.exponents[0])


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_exponent_trace_rejects_bad_every(every):
    with pytest.raises(ValueError, match="every"):
        ExponentTrace(every=every)


def test_wedge_problem_losses_vanish_at_the_exact_solution():
    model = WedgeAnsatz(2, omega=OMEGA, edges="DD", bounds=(0.0, 2.0), init=[2 / 3, 4 / 3])
    with torch.no_grad():
        model.coefficients.copy_(torch.tensor([1.0, 0.0]))
    trainer = Trainer(model, _corner_problem(), TrainerConfig(steps=1, dtype=DT, progress=False))
    values = trainer.evaluate()
    assert set(values) == {"edge0", "edge1", "arc", "constraint"}
    assert max(values.values()) < 1e-28
    assert trainer.problem.losses["constraint"].weight == 0.0  # naive by default


def test_wedge_problem_validates_its_data():
    theta = torch.linspace(0.0, 1.0, 4)
    with pytest.raises(ValueError, match="same shape"):
        wedge_problem(edge_r=torch.ones(3), arc_theta=theta, arc_values=torch.ones(5))
    with pytest.raises(ValueError, match="edge_r"):
        wedge_problem(edge_r=torch.zeros(3), arc_theta=theta, arc_values=theta)


def test_constraint_aware_training_recovers_the_corner_exponent():
    model = WedgeAnsatz(3, omega=OMEGA, edges="DD", bounds=(0.0, 2.0), dtype=DT)
    config = TrainerConfig(
        steps=600,
        lbfgs_steps=30,
        group_lrs={"exponents": 1e-2, "coefficients": 1e-2},
        weights={"constraint": ConstraintSchedule(1.0, warmup=100, ramp=100)},
        dtype=DT,
        progress=False,
    )
    trainer = Trainer(model, _corner_problem(), config, param_groups=muntz_param_groups(model))
    trainer.fit()
    found = recovered_exponents(model, tol=0.02, min_weight=0.01)
    assert exponent_error(found, 2 / 3) < 1e-6
    assert max(w for _, w in found) > 0.99
