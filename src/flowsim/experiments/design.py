"""An experiment's design: its points (every combination of a factorial design, or
SALib's Latin hypercube, Sobol/Saltelli and Morris samples with the design seed), how many
there are, and the reference point each is compared with."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from flowsim.experiments.spec import Spec


def salib_problem(spec: Spec) -> dict[str, Any]:
    """The SALib problem of a sampling design: names, bounds and distributions."""
    factors = spec.factors
    bounds, dists = [], []
    for f in factors:
        low, high = f.range  # type: ignore[misc]
        if f.distribution == "triangular":
            # SALib's triangular bounds: [low, high, peak as a fraction of the width]
            bounds.append([low, high, (f.mode - low) / (high - low)])  # type: ignore[operator]
            dists.append("triang")
        else:
            bounds.append([low, high])
            dists.append("unif")
    problem: dict[str, Any] = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": bounds,
    }
    if any(d != "unif" for d in dists):
        problem["dists"] = dists
    return problem


def design_matrix(spec: Spec) -> list[dict[str, float | str]]:
    """The design points, in order: one mapping factor name -> value per point.

    Factorial: every combination of values, the last factor varying fastest. Latin hypercube,
    Sobol (Saltelli's scheme) and Morris: SALib's samplers with the design seed, so the
    points are the same on every machine.
    """
    design = spec.design
    names = [f.name for f in spec.factors]
    if design.kind == "factorial":
        combos = itertools.product(*(f.levels for f in spec.factors))
        return [dict(zip(names, combo, strict=True)) for combo in combos]
    seed = spec.seed if design.seed is None else design.seed
    problem = salib_problem(spec)
    if design.kind == "latin_hypercube":
        from SALib.sample import latin

        matrix = latin.sample(problem, design.samples, seed=seed)
    elif design.kind == "sobol":
        from SALib.sample import sobol

        matrix = sobol.sample(
            problem, design.samples, calc_second_order=design.second_order, seed=seed
        )
    else:
        from SALib.sample import morris

        matrix = morris.sample(problem, design.samples, num_levels=design.levels, seed=seed)
    return [dict(zip(names, map(float, row), strict=True)) for row in np.asarray(matrix)]


def design_size(spec: Spec) -> int:
    """Number of design points, without sampling them."""
    design = spec.design
    d = len(spec.factors)
    if design.kind == "factorial":
        return int(np.prod([len(f.levels) for f in spec.factors]))
    if design.kind == "latin_hypercube":
        return design.samples  # type: ignore[return-value]
    if design.kind == "sobol":
        return design.samples * (2 * d + 2 if design.second_order else d + 2)  # type: ignore[operator]
    return design.samples * (d + 1)  # type: ignore[operator]


def reference_points(spec: Spec, points: list[dict[str, float | str]]) -> dict[int, int]:
    """Each point's reference for paired differences: the point with the baseline's lever
    values (``baseline``, else each lever's first value) and the point's *own* uncertainty
    values, so that a policy is compared with the baseline policy under the same
    uncertainties, never with the baseline under others. Points that are their own
    reference are left out.

    Factorial designs only (sampling designs have no such point: empty). With no lever, the
    experiment compares uncertainties: every point against :func:`baseline_point`.
    """
    if spec.design.kind != "factorial":
        return {}
    if not spec.levers:
        base = baseline_point(spec, points)
        return {i: base for i in range(len(points)) if base is not None and i != base}
    policy = {f.name: spec.baseline.get(f.name, f.levels[0]) for f in spec.levers}
    uncertain = [f.name for f in spec.uncertainties]
    index = {tuple(point[n] for n in (*policy, *uncertain)): i for i, point in enumerate(points)}
    references = {}
    for i, point in enumerate(points):
        key = (*policy.values(), *(point[n] for n in uncertain))
        reference = index.get(key)
        if reference is not None and reference != i:
            references[i] = reference
    return references


def baseline_point(spec: Spec, points: list[dict[str, float | str]]) -> int | None:
    """Index of the reference point for paired differences, or None.

    Factorial designs: the point matching ``baseline`` (factors not named there at their
    first value). Sampling designs have no reference point.
    """
    if spec.design.kind != "factorial":
        return None
    wanted = {f.name: spec.baseline.get(f.name, f.levels[0]) for f in spec.factors}
    for i, point in enumerate(points):
        if point == wanted:
            return i
    return None
