"""Device response models against closed forms, and the aihwkit parameter conversion."""

import numpy as np
import pytest

from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.crossbar.pulse import pulse_step
from ferrosim.device.models import (
    MODEL_CODES,
    LinearDevice,
    PowStepDevice,
    SoftBoundsDevice,
    TableDevice,
    from_aihwkit,
    softbounds_closed_form,
    steps_from_aihwkit,
    steps_to_aihwkit,
    to_aihwkit,
)


def kernel_trajectory(model, g0: float, n_up: int, n_down: int) -> np.ndarray:
    """Noise-free states after each pulse, computed by the numba per-pulse kernel."""
    arrays = DeviceArrays.build(model, (1, 1), np.random.default_rng(0))
    g = g0
    out = []
    for k in range(n_up + n_down):
        g = pulse_step(arrays.model_code, g, k < n_up, arrays.a_up[0, 0], arrays.a_down[0, 0],
                       arrays.w_min[0, 0], arrays.w_max[0, 0], arrays.gamma_up, arrays.gamma_down,
                       0.0, 0.0, arrays.t_g0, arrays.t_dg, arrays.t_vals)
        out.append(g)
    return np.array(out)


@pytest.mark.parametrize("a_up,a_down,w_min,w_max", [(0.01, 0.01, -1.0, 1.0), (0.03, 0.01, -1.0, 1.0),
                                                    (0.004, 0.02, -0.7, 1.3)])
def test_softbounds_200_up_200_down_matches_closed_form(a_up, a_down, w_min, w_max):
    dev = SoftBoundsDevice(a_up=a_up, a_down=a_down, w_min=w_min, w_max=w_max)
    up = softbounds_closed_form(w_min, 200, a_up, w_max)
    down = softbounds_closed_form(up[-1], 200, -a_down, w_min)
    expected = np.concatenate([up, down])
    np.testing.assert_allclose(kernel_trajectory(dev, w_min, 200, 200), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dev.apply_pulses(w_min, 200, 200), expected, rtol=0, atol=1e-9)
    # Sanity of the closed form itself: it saturates toward the bounds.
    assert up[-1] < w_max and up[-1] > up[0]


def test_powstep_gamma_one_is_affine_closed_form():
    dev = PowStepDevice(a_up=0.02, a_down=0.01, gamma_up=1.0, gamma_down=1.0, w_min=-1, w_max=1)
    k = np.arange(1, 201)
    width = 2.0
    expected_up = 1.0 - 2.0 * (1 - 0.02 / width) ** k  # from w_min = -1
    np.testing.assert_allclose(kernel_trajectory(dev, -1.0, 200, 0), expected_up, atol=1e-12)


@pytest.mark.parametrize("gu,gd", [(2.0, 2.0), (0.5, 1.7), (0.0, 0.0)])
def test_powstep_kernel_matches_reference(gu, gd):
    dev = PowStepDevice(a_up=0.02, a_down=0.015, gamma_up=gu, gamma_down=gd, w_min=-0.8, w_max=1.2)
    np.testing.assert_allclose(kernel_trajectory(dev, 0.1, 150, 150), dev.apply_pulses(0.1, 150, 150),
                               atol=1e-12)


def test_linear_device_steps_and_clips():
    dev = LinearDevice(a_up=0.3, a_down=0.2, w_min=-1, w_max=1)
    traj = kernel_trajectory(dev, 0.0, 5, 12)
    np.testing.assert_allclose(traj[:3], [0.3, 0.6, 0.9])
    assert traj[3] == 1.0 and traj[4] == 1.0  # clipped at w_max
    np.testing.assert_allclose(traj[5:7], [0.8, 0.6])
    assert traj[-1] == -1.0


def test_table_kernel_interpolates_like_numpy():
    g = [-1.0, -0.2, 0.5, 1.0]
    dev = TableDevice(g=g, mean_up=[0.02, 0.015, 0.01, 0.0], std_up=[0, 0, 0, 0],
                      mean_down=[0.0, 0.01, 0.02, 0.03], std_down=[0, 0, 0, 0])
    traj = kernel_trajectory(dev, -0.9, 60, 60)
    ref = dev.apply_pulses(-0.9, 60, 60)
    # The kernel samples the table on a fine uniform grid: agreement to a small fraction of a step.
    np.testing.assert_allclose(traj, ref, atol=2e-4)


def test_softbounds_symmetry_point_closed_form_and_balance():
    dev = SoftBoundsDevice(a_up=0.03, a_down=0.01, w_min=-1, w_max=1)
    sp = dev.symmetry_point()
    assert sp == pytest.approx(0.5)  # (0.03-0.01)/(0.03+0.01)
    assert dev.step_up(sp) == pytest.approx(dev.step_down(sp))
    # The generic (Brent) solver agrees with the closed form.
    assert super(SoftBoundsDevice, dev).symmetry_point() == pytest.approx(sp, abs=1e-12)


def test_powstep_and_table_symmetry_points_balance_steps():
    p = PowStepDevice(a_up=0.02, a_down=0.01, gamma_up=2.0, gamma_down=2.0)
    assert p.step_up(p.symmetry_point()) == pytest.approx(p.step_down(p.symmetry_point()))
    assert super(PowStepDevice, p).symmetry_point() == pytest.approx(p.symmetry_point(), abs=1e-12)
    q = PowStepDevice(a_up=0.02, a_down=0.01, gamma_up=1.5, gamma_down=0.7)
    assert q.step_up(q.symmetry_point()) == pytest.approx(q.step_down(q.symmetry_point()))
    t = TableDevice(g=[-1, 1], mean_up=[0.02, 0.0], std_up=[0, 0], mean_down=[0.0, 0.01], std_down=[0, 0])
    # up = 0.01(1-g), down = 0.005(1+g): balance at g = 1/3
    assert t.symmetry_point() == pytest.approx(1 / 3, abs=1e-9)


def test_random_pulses_drive_device_to_symmetry_point():
    """Zero-mean random pulses settle around g* (the physics behind SGD's drift)."""
    dev = SoftBoundsDevice(a_up=0.03, a_down=0.01)
    arrays = DeviceArrays.build(dev, (1, 1), np.random.default_rng(0))
    rng = np.random.default_rng(1)
    g, tail = -0.9, []
    for k in range(20000):
        g = pulse_step(arrays.model_code, g, bool(rng.random() < 0.5), 0.03, 0.01, -1.0, 1.0,
                       1.0, 1.0, 0.0, 0.0, 0.0, 1.0, arrays.t_vals)
        if k > 5000:
            tail.append(g)
    assert np.mean(tail) == pytest.approx(dev.symmetry_point(), abs=0.03)


def test_device_array_symmetry_points_with_d2d():
    dev = SoftBoundsDevice(a_up=0.02, a_down=0.01, d2d=0.3)
    arrays = DeviceArrays.build(dev, (40, 50), np.random.default_rng(3))
    sp = arrays.symmetry_points()
    up, down = arrays.mean_steps(sp)
    np.testing.assert_allclose(up, down, atol=1e-12)
    assert sp.std() > 0.05  # devices differ
    # The generic bisection gives the same points as the softbounds closed form.
    p = PowStepDevice(a_up=0.02, a_down=0.01, gamma_up=1.0, gamma_down=1.0, d2d=0.3)
    parr = DeviceArrays.build(p, (40, 50), np.random.default_rng(3))
    pu, pd = parr.mean_steps(parr.symmetry_points())
    np.testing.assert_allclose(pu, pd, atol=1e-12)


def test_d2d_factors_have_requested_spread():
    arrays = DeviceArrays.build(SoftBoundsDevice(a_up=0.01, a_down=0.01, d2d=0.2), (300, 300),
                                np.random.default_rng(0))
    f = arrays.a_up / 0.01
    assert f.mean() == pytest.approx(1.0, abs=0.005)
    assert f.std() == pytest.approx(0.2, rel=0.02)
    assert not np.allclose(arrays.a_up, arrays.a_down)  # independent up/down factors
    same = DeviceArrays.build(SoftBoundsDevice(a_up=0.01, a_down=0.01, d2d=0.2), (300, 300),
                              np.random.default_rng(0))
    np.testing.assert_array_equal(same.a_up, arrays.a_up)  # drawn once from the seed


def test_c2c_noise_has_requested_relative_std():
    from ferrosim.crossbar.rng import next_normal, seed_state

    dev = SoftBoundsDevice(a_up=0.01, a_down=0.01, c2c=0.3)
    a = DeviceArrays.build(dev, (1, 1), np.random.default_rng(0))
    st = seed_state(np.uint64(7))
    steps = []
    for _ in range(20000):
        st, xi = next_normal(st)
        st = np.uint64(st)  # plain Python ints above 2**63 do not pass back into numba
        steps.append(pulse_step(a.model_code, 0.0, True, 0.01, 0.01, -1.0, 1.0, 1.0, 1.0, 0.3, xi,
                                0.0, 1.0, a.t_vals))
    steps = np.array(steps)
    assert steps.mean() == pytest.approx(0.01, rel=0.01)
    assert steps.std() == pytest.approx(0.003, rel=0.03)


@pytest.mark.parametrize("dw_min,up_down,a_up,a_down", [(0.01, 0.0, 0.01, 0.01), (0.01, 0.5, 0.01, 0.005),
                                                       (0.02, -0.25, 0.015, 0.02)])
def test_aihwkit_step_conversion(dw_min, up_down, a_up, a_down):
    assert steps_from_aihwkit(dw_min, up_down) == pytest.approx((a_up, a_down))
    assert steps_to_aihwkit(a_up, a_down) == pytest.approx((dw_min, up_down))


@pytest.mark.parametrize("dev", [
    SoftBoundsDevice(a_up=0.03, a_down=0.01, w_min=-1, w_max=1, c2c=0.1),
    PowStepDevice(a_up=0.01, a_down=0.02, gamma_up=1.2, gamma_down=0.8, w_min=-0.6, w_max=0.6),
    PowStepDevice(a_up=0.01, a_down=0.02, gamma_up=0.5, gamma_down=2.0, w_min=-0.6, w_max=0.6),
    LinearDevice(a_up=0.01, a_down=0.01, w_min=-100, w_max=100),
])
def test_aihwkit_round_trip(dev):
    params = to_aihwkit(dev)
    kind = {"SoftBoundsDevice": "softbounds", "PowStepDevice": "powstep",
            "ConstantStepDevice": "constantstep"}[params.pop("kind")]
    back = from_aihwkit(kind, **params)
    for field in type(dev).model_fields:
        assert getattr(back, field) == pytest.approx(getattr(dev, field)), field


def test_granularity_modes():
    dev = SoftBoundsDevice(a_up=0.03, a_down=0.01)
    assert dev.granularity("aihwkit") == pytest.approx(0.03)  # aihwkit dw_min: the larger step
    assert dev.granularity("min") == pytest.approx(0.01)
    assert dev.granularity("mean") == pytest.approx(0.02)
    assert dev.n_states("min") == pytest.approx(200)
    p = PowStepDevice(a_up=0.04, a_down=0.04, gamma_up=2.0, gamma_down=2.0, w_min=-1, w_max=1)
    assert p.granularity("aihwkit") == pytest.approx(0.04 * 0.5**2)  # dw_min * 0.5**gamma


def test_table_validation():
    with pytest.raises(ValueError):
        TableDevice(g=[0, 0.5, 0.2], mean_up=[1, 1, 1], std_up=[0, 0, 0], mean_down=[1, 1, 1],
                    std_down=[0, 0, 0])
    with pytest.raises(ValueError):
        TableDevice(g=[0, 1], mean_up=[1], std_up=[0, 0], mean_down=[1, 1], std_down=[0, 0])


def test_model_codes_cover_all_models():
    assert set(MODEL_CODES) == {"linear", "softbounds", "powstep", "table"}


def test_aihwkit_powstep_gamma_convention():
    """pow_up_down shrinks only the weaker exponent, like up_down (aihwkit's C++ code)."""
    p = from_aihwkit("powstep", dw_min=0.01, pow_gamma=2.0, pow_up_down=0.25)
    assert (p.gamma_up, p.gamma_down) == pytest.approx((2.0, 1.5))
    q = from_aihwkit("powstep", dw_min=0.01, pow_gamma=2.0, pow_up_down=-0.25)
    assert (q.gamma_up, q.gamma_down) == pytest.approx((1.5, 2.0))


def test_closed_form_symmetry_point_stays_in_range_when_one_direction_dominates():
    """(a_down/a_up)**(1/gamma) ~ 2e17: the closed form rounded to -3.0000000000000004 (found by
    tests/properties)."""
    from ferrosim.device.models import PowStepDevice

    dev = PowStepDevice(a_up=0.0001, a_down=0.3, w_min=-3.0, w_max=1.0, gamma_up=0.2, gamma_down=0.2)
    assert dev.w_min <= dev.symmetry_point() <= dev.w_max


def test_table_symmetry_point_is_the_stable_crossing():
    """Down larger at the low end, up larger in the middle, down larger at the top: the first
    sign change (-0.5, up - down turns positive) repels the state; the SP is the stable one at
    +0.5 where up - down turns negative (issue 25: a binned HZO table crossed this way near -1)."""
    g = [-1.0, 0.0, 1.0]
    t = TableDevice(g=g, mean_up=[0.0, 2.0, 0.0], mean_down=[1.0, 1.0, 1.0], std_up=[0] * 3, std_down=[0] * 3)
    assert t.symmetry_point() == pytest.approx(0.5, abs=1e-12)
    # only an unstable crossing (at -0.5): the bound with the wider basin, w_max
    u = TableDevice(g=g, mean_up=[0.0, 1.0, 2.0], mean_down=[0.5, 0.5, 0.5], std_up=[0] * 3, std_down=[0] * 3)
    assert u.symmetry_point() == 1.0
    # no crossing: the stronger direction's bound
    w = TableDevice(g=g, mean_up=[1.0] * 3, mean_down=[2.0] * 3, std_up=[0] * 3, std_down=[0] * 3)
    assert w.symmetry_point() == -1.0
