"""Map layers: per-ward values, their colours and a legend in real units.

A layer is one figure per ward (need, recorded offences a year, constables,
change against a reference deployment, ...). :func:`layer_view` turns it into
colours and a legend whose labels carry the unit, so a map never shows a
colour without saying what it means. Skewed figures (need, crime, harm) are
split into classes of about equal numbers of wards (quantiles); headcounts
with few distinct values get one class per value; changes get a diverging
scale centred on zero, officers per need one centred on the London average.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.inputs.data import WardData
from planner.report.result import Plan
from planner.rules.tiers import split_constables

RGB = tuple[int, int, int]

#: Light yellow to dark red (ColorBrewer YlOrRd, 7 classes): more need, crime, harm.
SEQ_HEAT: tuple[RGB, ...] = (
    (255, 255, 178), (254, 217, 118), (254, 178, 76), (253, 141, 60),
    (252, 78, 42), (227, 26, 28), (177, 0, 38),
)  # fmt: skip
#: Light to dark blue (ColorBrewer Blues, 7 classes): more people deployed.
SEQ_BLUE: tuple[RGB, ...] = (
    (239, 243, 255), (198, 219, 239), (158, 202, 225), (107, 174, 214),
    (66, 146, 198), (33, 113, 181), (8, 69, 148),
)  # fmt: skip
#: Red (below) - grey - blue (above) (ColorBrewer RdBu, 7 classes).
DIVERGING: tuple[RGB, ...] = (
    (178, 24, 43), (239, 138, 98), (253, 219, 199), (236, 236, 236),
    (209, 229, 240), (103, 169, 207), (33, 102, 172),
)  # fmt: skip
NO_DATA: RGB = (200, 200, 200)


@dataclass(frozen=True)
class LayerSpec:
    """What a layer shows.

    Attributes
    ----------
    key : str
    label : str
        Short name for a menu.
    needs_plan, needs_reference : bool
        Whether the layer needs a solved plan / a reference deployment.
    help : str
        One sentence on how the figure is made.
    """

    key: str
    label: str
    needs_plan: bool
    needs_reference: bool
    help: str


LAYERS: dict[str, LayerSpec] = {
    spec.key: spec
    for spec in (
        LayerSpec("need", "Need", False, False, "demand, harm and population combined; 1 is the average ward"),
        LayerSpec("demand", "Demand (recorded crime)", False, False, "recorded offences a year, over the crime window"),
        LayerSpec("harm", "Harm", False, False, "offences weighted by harm, a year, over the crime window"),
        LayerSpec("population", "Residents", False, False, "resident population (Census 2021 in London)"),
        LayerSpec("constables", "Constables", True, False, "dedicated ward constables in the plan"),
        LayerSpec("pcsos", "PCSOs", True, False, "police community support officers in the plan"),
        LayerSpec(
            "ward_officers", "Ward officers", True, False, "constables ring-fenced to the ward (up to the ceiling)"
        ),
        LayerSpec(
            "hotspot_constables",
            "Hotspot-team constables",
            True,
            False,
            "constables of the borough's hotspot teams working in the ward",
        ),
        LayerSpec(
            "officers_per_need",
            "Officers per need",
            True,
            False,
            "effective officers (after abstraction; a PCSO counts at its effectiveness) per unit of need",
        ),
        LayerSpec("change", "Change: constables + PCSOs", True, True, "plan minus the reference deployment"),
        LayerSpec("change_constables", "Change: constables", True, True, "plan minus the reference deployment"),
        LayerSpec("change_pcsos", "Change: PCSOs", True, True, "plan minus the reference deployment"),
    )
}


@dataclass(frozen=True)
class Context:
    """What the figures are measured in.

    Attributes
    ----------
    months : int
        Months of crime the demand and harm figures add up (they are shown a year).
    harm_unit : str
        Unit of the harm weights, e.g. "CCHI days".
    """

    months: int = 12
    harm_unit: str = "harm-weighted offences"


@dataclass(frozen=True, eq=False)
class PlanView:
    """Constables and PCSOs per ward of some plan or of the current deployment (a reference to compare with).

    Attributes
    ----------
    label : str
        The name users gave it (or the scenario's).
    constables, pcsos : (W,) arrays
    plan : Plan or None
        The solved plan, when it is one (then its sergeants, inspectors and cost are known too);
        None for a baseline file.
    """

    label: str
    constables: np.ndarray
    pcsos: np.ndarray
    plan: Plan | None = None

    @classmethod
    def of(cls, plan: Plan, label: str) -> PlanView:
        """The deployment of a solved plan."""
        return cls(label, np.asarray(plan.constables), np.asarray(plan.pcsos), plan)


@dataclass(frozen=True)
class Legend:
    """Colour classes of a layer, each with a label in the layer's unit."""

    title: str
    unit: str
    colours: tuple[RGB, ...]
    labels: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, eq=False)
class LayerView:
    """A layer ready to draw: values, colour per ward (RGBA), the legend and the value as text."""

    spec: LayerSpec
    values: np.ndarray
    colours: np.ndarray
    legend: Legend
    text: list[str] = field(default_factory=list)


#: Layers that count people (whole numbers, blue).
PEOPLE_LAYERS: tuple[str, ...] = ("constables", "pcsos", "ward_officers", "hotspot_constables")
#: Layers shown only when the plan has the two tiers of constables (ward officers and hotspot teams).
TIER_LAYERS: tuple[str, ...] = ("ward_officers", "hotspot_constables")


def available_layers(has_plan: bool, has_reference: bool, *, tiers: bool = False) -> list[str]:
    """Keys of the layers that can be drawn now (the tier layers only when the plan has tiers)."""
    return [
        k
        for k, s in LAYERS.items()
        if (has_plan or not s.needs_plan)
        and (has_reference or not s.needs_reference)
        and (tiers or k not in TIER_LAYERS)
    ]


# --------------------------------------------------------------------------- values
def effective_officers(plan: Plan) -> np.ndarray:
    """Effective officers per ward of a plan."""
    return np.asarray(plan.effective, dtype=float)


def officers_per_need(plan: Plan) -> np.ndarray:
    """Effective officers per unit of need (inf where need is 0)."""
    need = np.asarray(plan.wards.need, dtype=float)
    eff = effective_officers(plan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(need > 0, eff / np.where(need > 0, need, 1.0), np.inf)


def layer_values(
    key: str, wards: WardData, plan: Plan | None = None, reference: PlanView | None = None, ctx: Context = Context()
) -> np.ndarray:
    """The figure per ward of layer ``key`` (in the unit of :func:`layer_unit`)."""
    spec = LAYERS[key]
    if spec.needs_plan and plan is None:
        raise ValueError(f"layer {spec.label!r} needs a solved plan")
    if spec.needs_reference and reference is None:
        raise ValueError(f"layer {spec.label!r} needs a reference deployment to compare with")
    per_year = 12.0 / max(ctx.months, 1)
    if key == "need":
        return np.asarray(wards.need, dtype=float)
    if key == "demand":
        return np.asarray(wards.demand, dtype=float) * per_year
    if key == "harm":
        return np.asarray(wards.harm, dtype=float) * per_year
    if key == "population":
        return np.asarray(wards.population, dtype=float)
    assert plan is not None
    if key == "constables":
        return np.asarray(plan.constables, dtype=float)
    if key == "pcsos":
        return np.asarray(plan.pcsos, dtype=float)
    if key in ("ward_officers", "hotspot_constables"):
        ward, hot = split_constables(plan.problem, plan.constables)
        return np.asarray(ward if key == "ward_officers" else hot, dtype=float)
    if key == "officers_per_need":
        return officers_per_need(plan)
    assert reference is not None
    dx = np.asarray(plan.constables, dtype=float) - reference.constables
    dp = np.asarray(plan.pcsos, dtype=float) - reference.pcsos
    return {"change": dx + dp, "change_constables": dx, "change_pcsos": dp}[key]


def layer_unit(key: str, ctx: Context = Context(), reference: PlanView | None = None) -> str:
    """The unit of layer ``key``, for a legend."""
    against = f" against {reference.label}" if reference is not None else ""
    return {
        "need": "need index (average ward = 1)",
        "demand": f"recorded offences a year (average of {ctx.months} months)",
        "harm": f"{ctx.harm_unit} a year (average of {ctx.months} months)",
        "population": "residents",
        "constables": "constables (headcount)",
        "pcsos": "PCSOs (headcount)",
        "ward_officers": "ward officers (constables, headcount)",
        "hotspot_constables": "hotspot-team constables (headcount)",
        "officers_per_need": "effective officers per unit of need",
        "change": f"change in constables + PCSOs (headcount){against}",
        "change_constables": f"change in constables (headcount){against}",
        "change_pcsos": f"change in PCSOs (headcount){against}",
    }[key]


# --------------------------------------------------------------------------- classes
def fmt_number(v: float, decimals: int | None = None) -> str:
    """A figure for a label: thousands separators, sensible decimals."""
    if not np.isfinite(v):
        return "∞" if v > 0 else "-∞"
    if decimals is None:
        a = abs(v)
        decimals = 0 if a >= 100 or float(v).is_integer() else (1 if a >= 10 else 2)
    return f"{v:,.{decimals}f}"


def quantile_breaks(values: np.ndarray, k: int = 7) -> np.ndarray:
    """Inner class breaks (at most ``k - 1``, increasing) splitting finite values into about equal classes."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return np.array([])
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:-1])
    return np.unique(_nice(qs))


def _nice(x: np.ndarray) -> np.ndarray:
    """Round breaks to 2 significant figures so legend labels read cleanly."""
    out = np.array(x, dtype=float)
    nz = np.abs(out) > 1e-12
    mag = np.zeros_like(out)
    mag[nz] = np.floor(np.log10(np.abs(out[nz])))
    scale = 10.0 ** (mag - 1)
    out[nz] = np.round(out[nz] / scale[nz]) * scale[nz]
    return out


def classify(values: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Class of each value: number of breaks at or below it (-1 for missing)."""
    cls = np.searchsorted(breaks, values, side="right")
    return np.where(np.isfinite(values) | np.isposinf(values), cls, -1)


def _pick(palette: Sequence[RGB], n: int) -> tuple[RGB, ...]:
    if n >= len(palette):
        return tuple(palette)
    idx = np.round(np.linspace(0, len(palette) - 1, n)).astype(int)
    return tuple(palette[i] for i in idx)


Classes = tuple[np.ndarray, tuple[RGB, ...], list[str]]
"""Inner breaks (increasing), one colour per class, one label per class."""


def sequential_classes(values: np.ndarray, palette: Sequence[RGB], integer: bool) -> Classes:
    """Classes of about equal numbers of wards (or one per value for few whole numbers)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([]), (NO_DATA,), ["no data"]
    lo, hi = float(finite.min()), float(finite.max())
    uniq = np.unique(finite)
    if integer and len(uniq) <= len(palette):
        return np.asarray(uniq[1:] - 0.5, dtype=float), _pick(palette, len(uniq)), [f"{int(u):,}" for u in uniq]
    if integer:
        edges = np.unique(np.ceil(quantile_breaks(finite, len(palette)) - 1e-9))
        edges = edges[(edges > lo) & (edges <= hi)]
        bounds = [int(lo), *edges.astype(int).tolist(), int(hi) + 1]
        labels = [f"{a:,}" if a == b - 1 else f"{a:,} – {b - 1:,}" for a, b in itertools.pairwise(bounds)]
        return edges - 0.5, _pick(palette, len(edges) + 1), labels
    breaks = quantile_breaks(finite, len(palette))
    breaks = breaks[(breaks > lo) & (breaks < hi)]
    bounds = [lo, *breaks.tolist(), hi]
    labels = [f"{fmt_number(a)} – {fmt_number(b)}" for a, b in itertools.pairwise(bounds)]
    return breaks, _pick(palette, len(breaks) + 1), labels


def _side_uppers(mags: np.ndarray, k: int = 3) -> list[int]:
    """Upper ends (whole numbers, increasing) of up to ``k`` classes splitting positive whole ``mags`` evenly."""
    if mags.size == 0:
        return []
    uniq = np.unique(mags).astype(int)
    if len(uniq) <= k:
        return [int(u) for u in uniq]
    qs = np.quantile(mags, np.linspace(0, 1, k + 1)[1:-1])
    uppers = sorted({int(np.ceil(q)) for q in qs} | {int(uniq.max())})
    return [u for u in uppers if u >= 1]


def change_classes(values: np.ndarray) -> Classes:
    """Diverging whole-number classes fitted to the data: losses, no change, gains.

    Gains and losses are split separately into up to three classes of about
    equal numbers of wards each (so a skewed change does not put most wards in
    one class), with "no change" in the middle; darker is a bigger change.
    """
    v = np.round(values[np.isfinite(values)])
    gains = _side_uppers(v[v > 0])
    losses = _side_uppers(-v[v < 0])
    if not gains and not losses:
        return np.array([-0.5, 0.5]), (DIVERGING[2], DIVERGING[3], DIVERGING[4]), ["fewer", "no change", "more"]

    def span(a: int, b: int, sign: str) -> str:
        return f"{sign}{a:,}" if a == b else f"{sign}{a:,} to {sign}{b:,}"

    loss_labels, gain_labels = [], []
    lo = 1
    for k, u in enumerate(losses):
        last = k == len(losses) - 1
        loss_labels.append(f"-{lo:,} or below" if last and u > lo else span(lo, u, "-"))
        lo = u + 1
    lo = 1
    for k, u in enumerate(gains):
        last = k == len(gains) - 1
        gain_labels.append(f"+{lo:,} or above" if last and u > lo else span(lo, u, "+"))
        lo = u + 1
    # edges between classes, increasing: below each loss class, then around zero, then above each gain class
    edges = [-(u + 0.5) for u in reversed(losses[:-1])] + [-0.5, 0.5] + [u + 0.5 for u in gains[:-1]]
    loss_cols = _pick(DIVERGING[:3][::-1], len(losses))[::-1] if losses else ()
    gain_cols = _pick(DIVERGING[4:], len(gains)) if gains else ()
    labels = [*reversed(loss_labels), "no change", *gain_labels]
    if not losses:
        edges = edges[1:]
    if not gains:
        edges = edges[:-1]
    cols = (*loss_cols, DIVERGING[3], *gain_cols)
    return np.array(edges, dtype=float), cols, labels


#: Ratios to the average that split the officers-per-need classes.
RATIOS = (0.5, 0.8, 0.95, 1.05, 1.25, 2.0)


def ratio_classes(centre: float) -> Classes:
    """Diverging classes by ratio to ``centre`` (the average): red below, blue above."""
    e = [r * centre for r in RATIOS]
    f = fmt_number
    labels = [
        f"under {f(e[0])} (under half the average)",
        f"{f(e[0])} – {f(e[1])}",
        f"{f(e[1])} – {f(e[2])}",
        f"{f(e[2])} – {f(e[3])} (about the average, {f(centre)})",
        f"{f(e[3])} – {f(e[4])}",
        f"{f(e[4])} – {f(e[5])}",
        f"{f(e[5])} or more (twice the average or more)",
    ]
    return np.array(e), DIVERGING, labels


def layer_view(
    key: str,
    wards: WardData,
    plan: Plan | None = None,
    reference: PlanView | None = None,
    ctx: Context = Context(),
    *,
    mask: np.ndarray | None = None,
    alpha: int = 200,
    pool: Sequence[Plan] = (),
) -> LayerView:
    """Values, colours (RGBA per ward) and legend of layer ``key``.

    Parameters
    ----------
    key : str
        One of :data:`LAYERS`.
    wards : WardData
    plan : Plan, optional
        Needed by the plan layers.
    reference : PlanView, optional
        Needed by the change layers.
    ctx : Context
        Units of crime and harm.
    mask : (W,) bool, optional
        Wards the colour classes are fitted to (e.g. one borough); all wards
        by default. Every ward is coloured either way.
    alpha : int
        Opacity of the fill, 0-255.
    pool : sequence of Plan
        Plans being compared on the same wards (with ``plan``): the classes of
        the plan and change layers are fitted to all of them together, so one
        colour means the same number in each.
    """
    spec = LAYERS[key]
    values = layer_values(key, wards, plan, reference, ctx)
    on = np.ones(len(values), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    sel = on if on.any() else np.ones(len(values), dtype=bool)
    basis = values[sel]
    if spec.needs_plan and key != "officers_per_need" and pool:
        others = [layer_values(key, wards, p, reference, ctx)[sel] for p in pool if p is not plan]
        basis = np.concatenate([basis, *others])
    note = ""
    if key.startswith("change"):
        breaks, cols, labels = change_classes(basis)
        note = "Losses and gains are each split into classes of about equal numbers of wards."
    elif key == "officers_per_need":
        assert plan is not None
        sel = on if on.any() else np.ones(len(values), dtype=bool)
        centre = float(effective_officers(plan)[sel].sum() / max(float(np.asarray(wards.need)[sel].sum()), 1e-12))
        breaks, cols, labels = ratio_classes(centre)
        note = f"Average of the wards shown: {fmt_number(centre)} effective officers per unit of need."
    else:
        integer = key in PEOPLE_LAYERS
        palette = SEQ_BLUE if key in (*PEOPLE_LAYERS, "population") else SEQ_HEAT
        breaks, cols, labels = sequential_classes(basis, palette, integer)
        if not integer or len(labels) == len(palette):
            note = "Each class holds about the same number of wards."
        if spec.needs_plan and len(pool) > 1:
            note += " The classes are the same for every plan kept, so a colour means the same number in each."
    legend = Legend(spec.label, layer_unit(key, ctx, reference), tuple(cols), tuple(labels), note)
    return painted(spec, values, breaks, legend, [value_text(key, v) for v in values], alpha)


def painted(
    spec: LayerSpec, values: np.ndarray, breaks: np.ndarray, legend: Legend, text: list[str], alpha: int = 200
) -> LayerView:
    """A layer ready to draw: each ward coloured by its class of ``breaks`` (grey where the value is missing).

    For layers made outside :data:`LAYERS` (change from today, equity figures) as well as :func:`layer_view`.
    """
    cols = legend.colours
    cls = classify(values, breaks)
    table = np.array([*cols, NO_DATA], dtype=np.uint8)
    idx = np.where((cls >= 0) & (cls < len(cols)), cls, len(cols))
    rgba = np.empty((len(values), 4), dtype=np.uint8)
    rgba[:, :3] = table[idx]
    rgba[:, 3] = alpha
    return LayerView(spec, values, rgba, legend, text)


def value_text(key: str, v: float) -> str:
    """One value of a layer as text (signed for changes)."""
    if not np.isfinite(v):
        return "–" if np.isnan(v) else "no need recorded"
    if key.startswith("change"):
        return f"{round(v):+,}" if v else "0"
    if key in (*PEOPLE_LAYERS, "population", "demand"):
        return f"{round(v):,}"
    if key == "harm":
        return f"{v:,.0f}"
    return f"{v:,.2f}"


# --------------------------------------------------------------------------- tooltips
#: Hover template of the ward map; the map fills each {field} from :func:`tooltip_fields` (as text, escaped).
#: The words and units are in the template, once, and each ward carries only its short figures: the whole deck is sent
#: to the browser on every redraw (and parsed there), so every byte per ward counts 700 times.
TOOLTIP_HTML = (
    "<b>{ward_name}</b> <span style='opacity:.65'>{ward_code}</span><br/>"
    "<span style='opacity:.75'>{borough_name} · {bcu}</span><br/>"
    "<b>{layer}: {value}</b><br/>"
    "Need {nd} (average ward = 1)<br/>"
    "Crime {cr} offences a year · harm {hm} <<harm unit>><br/>"
    "Residents {rs}"
)
_DEPLOYED_HTML = "<br/>Constables {x}{t} · PCSOs {p} · {o} officers per need"
_CHANGE_HTML = "<br/>Against <<reference>>: {dx} constables, {dq} PCSOs"


def _plain(text: str) -> str:
    """Text safe inside the hover template: HTML escaped, no template braces."""
    return html.escape(text).replace("{", "(").replace("}", ")")


def tooltip_template(ctx: Context = Context(), plan: bool = True, reference: PlanView | None = None) -> str:
    """The hover template for :func:`tooltip_fields` of the same plan and reference (units and names filled in)."""
    out = TOOLTIP_HTML.replace("<<harm unit>>", _plain(ctx.harm_unit))
    if plan:
        out += _DEPLOYED_HTML
        if reference is not None:
            out += _CHANGE_HTML.replace("<<reference>>", _plain(reference.label))
    else:
        out += "<br/>no plan"
    return out


def tooltip_fields(
    wards: WardData,
    plan: Plan | None,
    reference: PlanView | None,
    ctx: Context = Context(),
) -> list[dict[str, str]]:
    """Per ward, the short figures :func:`tooltip_template` shows on hover.

    ``nd`` need, ``cr`` crime a year, ``hm`` harm a year, ``rs`` residents; with a plan ``x``, ``p`` constables and
    PCSOs, ``t`` their tiers, ``o`` officers per need; with a reference ``dx``, ``dq`` the change in constables and
    PCSOs.
    """
    per_year = 12.0 / max(ctx.months, 1)
    opn = officers_per_need(plan) if plan is not None else None
    hot = split_constables(plan.problem, plan.constables)[1] if plan is not None else None
    out = []
    for w in range(wards.n_wards):
        row = {
            "nd": f"{wards.need[w]:.2f}",
            "cr": f"{wards.demand[w] * per_year:,.0f}",
            "hm": f"{wards.harm[w] * per_year:,.0f}",
            "rs": f"{wards.population[w]:,.0f}",
        }
        if plan is not None and opn is not None and hot is not None:
            row["x"] = str(int(plan.constables[w]))
            row["p"] = str(int(plan.pcsos[w]))
            row["o"] = f"{opn[w]:.2f}"
            row["t"] = (
                f" ({int(plan.constables[w] - hot[w])} ward officers, {int(hot[w])} in hotspot teams)"
                if hot[w] > 0
                else ""
            )
            if reference is not None:
                row["dx"] = f"{int(plan.constables[w] - reference.constables[w]):+d}"
                row["dq"] = f"{int(plan.pcsos[w] - reference.pcsos[w]):+d}"
        out.append(row)
    return out


@dataclass(frozen=True)
class Hover:
    """What the map shows on hover: the template and each ward's figures (see :func:`hover`)."""

    fields: list[dict[str, str]]
    html: str


def hover(wards: WardData, plan: Plan | None, reference: PlanView | None, ctx: Context = Context()) -> Hover:
    """:func:`tooltip_fields` with the matching :func:`tooltip_template`."""
    return Hover(tooltip_fields(wards, plan, reference, ctx), tooltip_template(ctx, plan is not None, reference))


def change_note(plan: Plan, reference: PlanView, mask: np.ndarray | None = None) -> str:
    """Gains and losses per rank against ``reference``, in words (in the wards of ``mask``)."""
    inside = np.ones(len(plan.constables), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    parts = []
    for noun, now, before in (
        ("Constables", plan.constables, reference.constables),
        ("PCSOs", plan.pcsos, reference.pcsos),
    ):
        d = (np.asarray(now, dtype=np.int64) - np.asarray(before, dtype=np.int64))[inside]
        gained, lost = int(d[d > 0].sum()), int(-d[d < 0].sum())
        parts.append(
            f"{noun}: +{gained:,} in {int((d > 0).sum()):,} wards, -{lost:,} in {int((d < 0).sum()):,} wards "
            f"(net {gained - lost:+,})"
        )
    return f"Against {reference.label}: " + "; ".join(parts) + "."


def classes_count(view: LayerView) -> dict[str, int]:
    """Number of wards per legend class (for a legend with counts)."""
    idx = {tuple(int(c) for c in col): k for k, col in enumerate(view.legend.colours)}
    counts = [0] * len(view.legend.colours)
    for row in view.colours[:, :3]:
        k = idx.get(tuple(int(c) for c in row))
        if k is not None:
            counts[k] += 1
    return dict(zip(view.legend.labels, counts))
