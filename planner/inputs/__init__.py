"""Inputs: from files (or the synthetic city) and a scenario to validated per-ward arrays.

Crime, harm weights, population, the combined need, the workforce and its
costs, the current deployment: everything is read and checked here, once,
and handed on as immutable arrays (:class:`planner.inputs.data.WardData`).
"""
