"""Solving: bounds, plans, CP-SAT, the balance objective and the pipeline that runs them.

Nothing here reads files or knows about geography; it sees an
:class:`planner.problem.AllocationProblem` and the rules of
:mod:`planner.rules`, and returns a certified :class:`planner.solve.pipeline.Allocation`.
"""
