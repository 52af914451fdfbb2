"""The one exceptions module of the planner.

Every error a user can cause subclasses :class:`PlannerError`, which is a
:class:`ValueError`. The command line maps them to exit codes: input errors
exit 2, infeasible plans exit 3. No user error ever surfaces as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class PlannerError(ValueError):
    """Base class of every error the planner raises on purpose."""

    exit_code: int = 2


class InputError(PlannerError):
    """Bad input: a scenario, a data file, a row or a column is at fault.

    Parameters
    ----------
    problems : Iterable[str]
        Every problem found, each naming the file, row, column or key at fault.
        The validators collect all of them and raise once.
    source : str, optional
        The file or object the problems were found in, prefixed to the message.
    """

    def __init__(self, problems: Iterable[str] | str, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems: tuple[str, ...] = tuple(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            message = head + self.problems[0]
        else:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{head}{len(self.problems)} problems:\n{listed}"
        super().__init__(message)


class ScenarioError(InputError):
    """The scenario file itself is malformed or inconsistent."""


class DataError(InputError):
    """A data file (boundaries, crime counts, weights, lookups) is at fault."""


class InfeasibleError(PlannerError):
    """No plan satisfies every rule.

    Parameters
    ----------
    reasons : Iterable[str]
        Plain-language statements naming the smallest set of conflicting rules,
        with numbers, e.g. "ward floors need 1,358 constables but only 1,200
        are available".
    proven : bool
        Whether no plan exists (proved); False: the solver found none, and says so.
    """

    exit_code = 3

    def __init__(self, reasons: Iterable[str] | str, proven: bool = True) -> None:
        if isinstance(reasons, str):
            reasons = [reasons]
        self.reasons: tuple[str, ...] = tuple(reasons)
        self.proven = proven
        listed = "\n".join(f"  - {r}" for r in self.reasons)
        head = "no plan satisfies every rule" if proven else "no plan satisfying every rule was found"
        super().__init__(f"{head}:\n{listed}")


class Problems:
    """Collects problems so that a validator can raise them all at once.

    Examples
    --------
    >>> found = Problems("wards.gpkg")
    >>> found.add("row 3: ward_code is missing")
    >>> found.raise_if_any()
    Traceback (most recent call last):
    ...
    planner.errors.DataError: wards.gpkg: row 3: ward_code is missing
    """

    def __init__(self, source: str | None = None, error: type[InputError] | None = None) -> None:
        self.source = source
        self.error: type[InputError] = error or DataError
        self.items: list[str] = []

    def add(self, problem: str) -> None:
        """Record one problem."""
        self.items.append(problem)

    def extend(self, problems: Iterable[str]) -> None:
        """Record several problems."""
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise every recorded problem as one error, if there is any."""
        if self.items:
            raise self.error(self.items, source=self.source)
