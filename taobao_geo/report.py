"""Regional planning briefing: one self-contained HTML file (and a PDF when Chromium exists).

The briefing formats results; it computes nothing. Every number comes from a result object's
attributes, ``summary()`` or ``to_frame()``: the :class:`~taobao_geo.pipeline.AnalysisResult` of
:func:`~taobao_geo.pipeline.analyze` (NNI, Ripley, KDE, Moran, LISA, Gi*, centrography, trends)
and the :class:`~taobao_geo.compare.ComparisonResult` of
:func:`~taobao_geo.compare.compare_counties`.

Self-contained and offline: CSS is inline, static figures are embedded as base64 PNG, and each
interactive map (an offline folium page written by the pipeline) is embedded with
``<iframe srcdoc="...">``, so the single HTML file opens anywhere without a network or the
files next to it. In print / PDF the iframes are hidden and the static figures stand in.

All user text (village, county and dataset names, titles) is escaped by one helper,
:func:`taobao_geo._html.escape_text`; no text is ever used as template source.
Labels are in English or Chinese (``lang="en" | "zh"``).
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import math
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from . import __version__
from ._errors import TaobaoGeoError
from ._html import escape_text
from ._stats.pvalues import is_significant
from ._validate import check_choice
from .palettes import (
    DENSITY_CMAP,
    GI_BIN_COLOURS,
    GI_BIN_LABELS,
    LISA_COLOURS,
    LISA_LABELS,
    lisa_code,
)

__all__ = ["briefing", "print_pdf", "find_pdf_engine", "LABELS"]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "briefing": "Taobao villages planning briefing",
        "key": "Key figures",
        "q_cluster": "Question: are the villages more clustered than chance?",
        "q_where": "Question: where are the high-density cores and hot spots?",
        "q_compare": "Question: how does the county compare with others?",
        "q_trend": "Question: where is the centre of Taobao villages moving?",
        "maps": "Maps",
        "density": "Kernel density and core zones",
        "lisa": "Local Moran (LISA) clusters",
        "gi": "Getis-Ord Gi* hot and cold spots",
        "comparison": "County comparison",
        "methods": "Methods and parameters",
        "provenance": "Data provenance",
        "caveats": "Caveats",
        "steps": "Analysis steps",
        "interactive": "Interactive map (works offline)",
        "static": "Static figure",
        "simulated": "SIMULATED DATA: the point positions in this briefing are simulated, not "
        "real village locations. Use them for tutorials and tests only.",
        "precision": "Location precision: villages are located at their town seat or at the "
        "county's representative point, not at the village itself.",
        "coarse_banner": "Not interpretable at village scale: the {n} villages occupy only {loc} "
        "distinct locations and {coarse} of them sit at a county or city point "
        "because their town seat is unknown. The nearest-neighbour index, "
        "Ripley's L, the density map and grid-cell hot spots below describe that "
        "geocoding, not the villages; read the county-level comparison instead.",
        "coarse_head": "Point-pattern statistics: not interpretable here",
        "coarse_grid_head": "Grid-cell autocorrelation and hot spots: not interpretable here",
        "coarse_detail": "Too few distinct locations (see the warning above). For the record:",
        "boundaries": "Boundaries are for analysis only and not for publication: publishing maps "
        "of China requires an official map approval number (审图号).",
        "generated": "Generated",
        "not_run": "not run",
        "clustered_sig": "Villages are significantly clustered",
        "dispersed_sig": "Villages are significantly dispersed",
        "random": "The pattern is not significantly different from random",
        "moran_pos": "Significant positive spatial autocorrelation: units with many villages "
        "border units with many villages",
        "moran_neg": "Significant negative spatial autocorrelation (high next to low)",
        "moran_ns": "No significant global spatial autocorrelation",
        "hh_units": "High-High (hot-spot) units",
        "hot_units": "Gi* hot-spot units (90 % confidence or more)",
        "cores": "Core zones",
        "bandwidth": "bandwidth",
        "step": "Step",
        "status": "Status",
        "reason": "Reason",
        "setting": "Setting",
        "value": "Value",
        "county": "County",
        "no_results": "No result for this section (see the analysis steps for the reason).",
        "pdf_static": "In the PDF, maps are static images.",
        "centre_moved": "Mean centre moved",
        "bearing": "bearing (clockwise from north)",
    },
    "zh": {
        "briefing": "淘宝村：规划简报",
        "key": "主要结论",
        "q_cluster": "问题：淘宝村的分布是否比随机更集聚？",
        "q_where": "问题：高密度核心区和热点在哪里？",
        "q_compare": "问题：本县与其他县相比如何？",
        "q_trend": "问题：淘宝村的重心向哪里移动？",
        "maps": "地图",
        "density": "核密度与核心区",
        "lisa": "局部莫兰指数（LISA）聚类",
        "gi": "Getis-Ord Gi* 冷热点",
        "comparison": "县域比较",
        "methods": "方法与参数",
        "provenance": "数据来源",
        "caveats": "注意事项",
        "steps": "分析步骤",
        "interactive": "交互地图（可离线使用）",
        "static": "静态图",
        "simulated": "模拟数据：本简报中的点位为模拟生成，并非真实村庄位置，仅供教学和测试使用。",
        "precision": "定位精度：村庄定位于所在乡镇驻地或县代表点，而非村庄本身。",
        "coarse_banner": "村级尺度下不可解读：{n} 个村庄仅对应 {loc} 个不同位置，其中 {coarse} 个因乡镇驻地未知而"
        "定位于县或市代表点。下方的最近邻指数、Ripley L 函数、核密度图和网格冷热点反映的是定位方式，"
        "而非村庄的真实分布；请参阅县域比较。",
        "coarse_head": "点格局统计：此处不可解读",
        "coarse_grid_head": "网格单元自相关与冷热点：此处不可解读",
        "coarse_detail": "不同位置过少（见上方警告）。仅供记录：",
        "boundaries": "边界仅用于分析，不得用于出版：公开出版中国地图须取得审图号。",
        "generated": "生成时间",
        "not_run": "未运行",
        "clustered_sig": "淘宝村呈显著集聚分布",
        "dispersed_sig": "淘宝村呈显著离散分布",
        "random": "分布与随机分布无显著差异",
        "moran_pos": "存在显著的正空间自相关：淘宝村多的单元彼此相邻",
        "moran_neg": "存在显著的负空间自相关（高值与低值相邻）",
        "moran_ns": "无显著的全局空间自相关",
        "hh_units": "高-高（热点）单元",
        "hot_units": "Gi* 热点单元（置信度 90% 及以上）",
        "cores": "核心区",
        "bandwidth": "带宽",
        "step": "步骤",
        "status": "状态",
        "reason": "原因",
        "setting": "设置",
        "value": "取值",
        "county": "县",
        "no_results": "本节无结果（原因见分析步骤）。",
        "pdf_static": "PDF 中地图为静态图。",
        "centre_moved": "平均中心移动",
        "bearing": "方位角（自正北顺时针）",
    },
}

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",Arial,sans-serif;margin:0;
 color:#222;background:#fafafa;line-height:1.5}
main{max-width:1100px;margin:0 auto;padding:1.5em 2em;background:#fff}
h1{font-size:1.7em;margin:.2em 0}h2{border-bottom:2px solid #D62F27;padding-bottom:.2em;margin-top:1.6em}
.q{font-style:italic;color:#555}
.banner{border:3px solid #b30000;background:#fff0f0;color:#b30000;font-weight:bold;padding:.8em 1em;
 margin:1em 0;font-size:1.1em}
.caveat{border-left:5px solid #E6AB02;background:#fffbe6;padding:.5em 1em;margin:.6em 0}
.cards{display:flex;flex-wrap:wrap;gap:1em}
.card{flex:1 1 300px;border:1px solid #ddd;border-radius:6px;padding:.8em 1em;background:#fcfcfc}
.card .big{font-size:1.15em;font-weight:bold}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0;overflow-x:auto;display:block}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#f0f0f0}
td.t,th.t{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85em;color:#555}
iframe.map{width:100%;height:520px;border:1px solid #aaa}
.muted{color:#777;font-size:.85em}
@media print{iframe.map,.screen-only{display:none}main{max-width:none;padding:0}
 h2{page-break-after:avoid}figure{page-break-inside:avoid}
 table{display:table;font-size:6.5pt;width:100%;table-layout:auto}th,td{padding:1px 2px;
 word-break:break-word}figure img{max-height:16cm}}
@page{size:A4 landscape;margin:12mm}
"""


_e = escape_text


def _link(path) -> str:
    """A relative link to a file next to the briefing; the name is percent-encoded, so it can
    never be read as a scheme (``javascript:``), query or fragment.
    """
    name = Path(path).name
    return f'<a href="./{_e(quote(name))}">{_e(name)}</a>'


def _num(x, digits=3) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return _e(x)
    if math.isnan(v):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}"


def _p_text(p) -> str:
    """'p < 0.001' style text (formatting of a p-value, not a computation)."""
    try:
        p = float(p)
    except (TypeError, ValueError):
        return "p = n/a"
    if math.isnan(p):
        return "p = n/a"
    for cut in (0.001, 0.01, 0.05):
        if p < cut:
            return f"p < {cut:g}"
    return f"p = {p:.3f}"


def _get(obj, *names, default=None):
    for n in names:
        if obj is not None and hasattr(obj, n):
            v = getattr(obj, n)
            if v is not None:
                return v
    return default


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(src: str, caption: str) -> str:
    return f'<figure><img src="{src}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>'


def _table(df: pd.DataFrame, *, max_rows: int = 40, text_cols=()) -> str:
    df = df.head(max_rows)
    head = "".join(f'<th class="{"t" if c in text_cols else ""}">{_e(c)}</th>' for c in df.columns)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in df.columns:
            v = r[c]
            if isinstance(v, float):
                cells.append(f"<td>{_num(v)}</td>")
            else:
                cells.append(
                    f'<td class="{"t" if c in text_cols or isinstance(v, str) else ""}">'
                    f"{_e(v)}</td>"
                )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# ----------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------
def _coarse_text(lq: dict, L) -> str:
    by = lq.get("by_precision") or {}
    coarse = sum(v for k, v in by.items() if k in ("county", "city", "none"))
    return L["coarse_banner"].format(n=lq.get("n"), loc=lq.get("n_locations"), coarse=coarse)


def _nni_card(res, L, alpha) -> str:
    R, z, p = _get(res, "R"), _get(res, "z"), _get(res, "p", "p_value")
    if R is None:
        return ""
    sig = is_significant(p, alpha)  # the package's one rule (p <= alpha), as the LISA labels
    if sig and float(R) < 1:
        head = L["clustered_sig"]
    elif sig:
        head = L["dispersed_sig"]
    else:
        head = L["random"]
    area = _get(res, "area_method", default="")
    test = _get(res, "test", default="")
    detail = _get(res, "area_km2")
    extra = (
        (
            f"; area {_num(detail, 0)} km² ({_e(area)})"
            if detail is not None
            else f"; area: {_e(area)}"
        )
        if area or detail
        else ""
    )
    return (
        f'<div class="card"><div class="big">{_e(head)}: R = {_num(R)}, z = {_num(z, 2)}, '
        f"{_e(_p_text(p))}</div><div class=muted>NNI (Clark–Evans / ArcGIS), n = "
        f"{_e(_get(res, 'n', default='?'))}{extra}; test {_e(test)}</div></div>"
    )


def _moran_card(res, L, alpha) -> str:
    I = _get(res, "value", "I")  # `value` first: `.I` is a deprecated alias
    if I is None:
        return ""
    p = _get(res, "p_sim", "p_norm", "p", "p_value")
    z = _get(res, "z_sim", "z_norm", "z")
    sig = is_significant(p, alpha)  # the package's one rule (p <= alpha), as the LISA labels
    head = (L["moran_pos"] if float(I) > 0 else L["moran_neg"]) if sig else L["moran_ns"]
    return (
        f'<div class="card"><div class="big">{_e(head)}: I = {_num(I)}, z = {_num(z, 2)}, '
        f"{_e(_p_text(p))}</div><div class=muted>Global Moran's I</div></div>"
    )


def _count_col(gdf, *cands):
    for c in cands:
        if c in gdf.columns:
            return c
    return None


def _local_cards(lisa, gi, L) -> str:
    out = []
    if lisa is not None and hasattr(lisa, "gdf"):
        col = _count_col(lisa.gdf, "cluster", "label", "quadrant")
        if col:
            codes = lisa.gdf[col].map(_safe_lisa)
            n_hh = int((codes == "HH").sum())
            out.append(
                f'<div class="card"><div class="big">{_e(L["hh_units"])}: {n_hh}</div>'
                f"<div class=muted>{_e(_first(lisa))}</div></div>"
            )
    if gi is not None and hasattr(gi, "gdf") and "gi_bin" in gi.gdf.columns:
        n_hot = int((gi.gdf["gi_bin"] > 0).sum())
        out.append(
            f'<div class="card"><div class="big">{_e(L["hot_units"])}: {n_hot}</div>'
            f"<div class=muted>{_e(_first(gi))}</div></div>"
        )
    return "".join(out)


def _safe_lisa(v) -> str:
    try:
        return lisa_code(v)
    except ValueError:
        return "ns"


def _first(res) -> str:
    try:
        lines = [ln for ln in str(res.summary()).splitlines() if ln.strip()]
    except Exception:  # noqa: BLE001 - display only
        return ""
    return lines[0] if lines else ""


def _summary_block(res) -> str:
    try:
        text = str(res.summary())
    except Exception:  # noqa: BLE001 - display only
        return ""
    return (
        "<ul>" + "".join(f"<li>{_e(ln)}</li>" for ln in text.splitlines() if ln.strip()) + "</ul>"
    )


def _kde_figure(kde, cores, L, points=None) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    dens = _get(kde, "density")
    tr = _get(kde, "transform")
    if dens is None or tr is None:
        return ""
    rows, cols = dens.shape
    x0, y0 = tr.c, tr.f
    x1, y1 = x0 + tr.a * cols, y0 + tr.e * rows
    fig, ax = plt.subplots(figsize=(7, 5.5))
    im = ax.imshow(
        dens,
        extent=(x0, x1, y1, y0) if tr.e > 0 else (x0, x1, y1, y0),
        cmap=DENSITY_CMAP,
        origin="upper" if tr.e < 0 else "lower",
    )
    fig.colorbar(im, ax=ax, shrink=0.7, label=_e(_get(kde, "units", default="density")))
    if cores is not None and len(cores):
        cores.boundary.plot(ax=ax, color="#222", linewidth=0.8)
    if points is not None and len(points):
        ax.scatter(points.geometry.x, points.geometry.y, s=3, c="#1B2A49", alpha=0.6)
    ax.set_xticks([])
    ax.set_yticks([])
    bw = _get(kde, "bandwidth_m")
    ax.set_title(
        f"KDE ({_get(kde, 'kernel', default='')}, bandwidth {_num(bw / 1000 if bw else bw, 1)} km)",
        fontsize=9,
    )
    return _png(fig)


def _units_figure(res, kind: str) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    gdf = res.gdf
    fig, ax = plt.subplots(figsize=(7, 5.5))
    if kind == "lisa":
        col = _count_col(gdf, "cluster", "label", "quadrant")
        codes = gdf[col].map(_safe_lisa)
        gdf.plot(ax=ax, color=codes.map(LISA_COLOURS), edgecolor="#999", linewidth=0.2)
        handles = [
            Patch(color=LISA_COLOURS[c], label=f"{LISA_LABELS[c]} ({int((codes == c).sum())})")
            for c in ("HH", "LL", "LH", "HL", "ns")
        ]
    else:
        bins = gdf["gi_bin"].fillna(0).astype(int)
        gdf.plot(ax=ax, color=bins.map(GI_BIN_COLOURS), edgecolor="#999", linewidth=0.2)
        handles = [
            Patch(color=GI_BIN_COLOURS[b], label=f"{GI_BIN_LABELS[b]} ({int((bins == b).sum())})")
            for b in (3, 2, 1, 0, -1, -2, -3)
        ]
    ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    ax.set_axis_off()
    return _png(fig)


def _result_plot(res, caption: str, *, points=None) -> str:
    """A result's own ``plot(ax=...)`` as an embedded PNG figure ('' if it has none or fails)."""
    if res is None or not hasattr(res, "plot"):
        return ""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    try:
        if points is not None:
            res.plot(ax=ax, points=points.to_crs(res.crs))
        else:
            res.plot(ax=ax)
    except Exception:  # noqa: BLE001 - a figure must not break the briefing
        plt.close(fig)
        return ""
    return _figure(_png(fig), caption)


def _iframe(path: Path) -> str:
    try:
        doc = Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""
    return (
        f'<iframe class="map" title="{_e(Path(path).stem)}" sandbox="allow-scripts allow-popups" '
        f'srcdoc="{_e(doc)}"></iframe>'
    )


def _datasets_meta(analysis, extra) -> list[dict]:
    metas = []
    if analysis is not None and isinstance(analysis.choices.get("dataset"), dict):
        metas.append(analysis.choices["dataset"])
    for m in extra or []:
        if m and m not in metas:
            metas.append(m)
    return metas


# ----------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------
def briefing(
    analysis=None,
    comparison=None,
    *,
    out_path,
    title: str | None = None,
    region: str | None = None,
    lang: str = "en",
    provenance: list[dict] | None = None,
    simulated: bool | None = None,
    embed_maps: bool = True,
    highlight: str | None = None,
    alpha: float = 0.05,
    comparison_map=None,
) -> Path:
    """Write a self-contained HTML briefing from analysis and comparison results.

    Parameters
    ----------
    analysis
        :class:`~taobao_geo.pipeline.AnalysisResult` (or ``None``).
    comparison
        :class:`~taobao_geo.compare.ComparisonResult` (or ``None``).
    out_path
        The HTML file to write (its folder is created).
    title, region
        Heading and the region's name (escaped).
    lang
        ``"en"`` or ``"zh"`` labels.
    provenance
        Extra dataset metadata dicts (``gdf.attrs["dataset"]``) to list under provenance; the
        analysed layer's metadata is taken from ``analysis`` automatically.
    simulated
        Force the simulated-data banner; ``None`` shows it when any dataset metadata says
        ``simulated`` (or the points have a true ``simulated`` column).
    embed_maps
        Embed the pipeline's interactive maps with ``iframe srcdoc`` (offline, one file).
    highlight
        County name or adcode to highlight in the comparison figures.
    alpha
        Significance level used in the plain-language sentences.
    comparison_map
        Path of the interactive comparison map (:meth:`ComparisonResult.save` writes it), embedded
        next to the comparison figures.

    Returns
    -------
    pathlib.Path
        The HTML file written.
    """
    check_choice(lang, ("en", "zh"), name="lang", func="briefing")
    if analysis is None and comparison is None:
        raise TaobaoGeoError("`briefing` needs an analysis result, a comparison result, or both.")
    L = LABELS[lang]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    metas = _datasets_meta(analysis, provenance)
    if simulated is None:
        simulated = any(bool(m.get("simulated")) for m in metas)
        if analysis is not None and "points" in analysis.layers:
            pts = analysis.layers["points"]
            if "simulated" in pts.columns and pts["simulated"].astype(bool).any():
                simulated = True
    title = title or L["briefing"]
    results = analysis.results if analysis is not None else {}
    parts: list[str] = []
    parts.append(f"<h1>{_e(title)}</h1>")
    sub = [region, f"{L['generated']}: {_dt.date.today().isoformat()}", f"taobao_geo {__version__}"]
    parts.append(f'<p class="muted">{_e(" · ".join(s for s in sub if s))}</p>')
    if simulated:
        parts.append(f'<div class="banner" id="simulated-banner">⚠ {_e(L["simulated"])}</div>')
    lq = (analysis.choices.get("location_quality") if analysis is not None else None) or {}
    coarse = bool(lq) and not lq.get("reliable", True)
    parts.append(f'<div class="caveat">{_e(L["precision"])}</div>')
    if coarse:
        parts.append(f'<div class="banner" id="precision-banner">⚠ {_e(_coarse_text(lq, L))}</div>')
    parts.append(f'<div class="caveat">{_e(L["boundaries"])}</div>')

    # key figures
    nni_card = _nni_card(results.get("nni"), L, alpha)
    if coarse and nni_card:
        nni_card = (
            f'<div class="card"><div class="big">{_e(L["coarse_head"])}</div>'
            f"<div class=muted>{_e(L['coarse_detail'])} {_e(_first(results['nni']))}"
            "</div></div>"
        )
    moran_card = _moran_card(results.get("moran"), L, alpha)
    local_cards = _local_cards(results.get("lisa"), results.get("gistar"), L)
    grid_units = analysis is not None and (analysis.choices.get("units") or {}).get("kind") in (
        "fishnet",
        "hex",
    )
    if coarse and grid_units and (moran_card or local_cards):
        # grid cells over a few geocoded points inherit the same artefact; counties do not
        moran_card = (
            f'<div class="card"><div class="big">{_e(L["coarse_grid_head"])}</div>'
            f"<div class=muted>{_e(L['coarse_detail'])} "
            f"{_e(_first(results.get('moran')) if results.get('moran') else '')}"
            "</div></div>"
        )
        local_cards = ""
    cards = [nni_card, moran_card, local_cards]
    tr = results.get("trends")
    if tr is not None and _get(tr, "net_shift_m") is not None:
        periods = _get(tr, "periods", default=())
        span = f" ({periods[0]}→{periods[-1]})" if len(periods) >= 2 else ""
        cards.append(
            f'<div class="card"><div class="big">{_e(L["centre_moved"])}{_e(span)}: '
            f"{_num(tr.net_shift_m / 1000, 1)} km, {_e(L['bearing'])} "
            f"{_num(_get(tr, 'net_bearing_deg'), 0)}°</div><div class=muted>"
            f"{_e(_first(tr))}</div></div>"
        )
    if "kde" in results:
        kde = results["kde"]
        bw = _get(kde, "bandwidth_m")
        cards.append(
            f'<div class="card"><div class="big">KDE: {_e(L["bandwidth"])} '
            f"{_num(bw / 1000 if bw else bw, 1)} km</div><div class=muted>"
            f"{_e(_first(kde))}</div></div>"
        )
    if any(cards):
        parts.append(f"<h2>{_e(L['key'])}</h2><p class=q>{_e(L['q_cluster'])}</p>")
        parts.append('<div class="cards">' + "".join(c for c in cards if c) + "</div>")
        for name in ("nni", "ripley", "moran"):
            if name in results:
                parts.append(_summary_block(results[name]))
        figs = [
            _result_plot(
                results.get("nni"), "Nearest-neighbour index: observed R and its null distribution"
            ),
            _result_plot(results.get("ripley"), "Ripley's L(r) with CSR envelope"),
        ]
        parts.append(
            '<div class="cards">'
            + "".join(f'<div class="card">{f}</div>' for f in figs if f)
            + "</div>"
        )

    # maps
    if analysis is not None:
        parts.append(f"<h2>{_e(L['maps'])}</h2><p class=q>{_e(L['q_where'])}</p>")
        cores = analysis.layers.get("kde_cores")
        if "kde" in results:
            parts.append(f"<h3>{_e(L['density'])}</h3>")
            try:
                # display only: overlay the cores and points in the grid's CRS
                cores_p = cores.to_crs(_get(results["kde"], "crs")) if cores is not None else None
                pts_p = (
                    analysis.layers["points"].to_crs(_get(results["kde"], "crs"))
                    if "points" in analysis.layers
                    else None
                )
                src = _kde_figure(results["kde"], cores_p, L, pts_p)
            except Exception:  # noqa: BLE001 - a figure must not break the briefing
                src = ""
            if src:
                parts.append(_figure(src, f"{L['density']} ({L['static']})"))
            if cores is not None and len(cores):
                keep = [c for c in cores.columns if c != cores.geometry.name]
                parts.append(
                    f"<h4>{_e(L['cores'])}</h4>" + _table(pd.DataFrame(cores[keep]), text_cols=keep)
                )
        for name, label in (("lisa", L["lisa"]), ("gistar", L["gi"])):
            if name in results and hasattr(results[name], "gdf"):
                parts.append(f"<h3>{_e(label)}</h3>")
                try:
                    parts.append(
                        _figure(_units_figure(results[name], name), f"{label} ({L['static']})")
                    )
                except Exception:  # noqa: BLE001 - a figure must not break the briefing
                    pass
                parts.append(_summary_block(results[name]))
        maps = [Path(p) for p in analysis.files.get("maps", [])]
        if maps:
            parts.append(
                f'<h3 class="screen-only">{_e(L["interactive"])}</h3>'
                f'<p class="muted screen-only">{_e(L["pdf_static"])}</p>'
            )
            for p in maps:
                if embed_maps:
                    parts.append(f'<h4 class="screen-only">{_e(p.stem)}</h4>' + _iframe(p))
                else:
                    parts.append(f'<p class="screen-only">{_link(p)}</p>')
        if "trends" in results:
            parts.append(f"<h3>{_e(L['q_trend'])}</h3>")
            parts.append(_summary_block(results["trends"]))
            fig = _result_plot(
                results["trends"],
                "Mean centre and standard deviational ellipse by year",
                points=analysis.layers.get("points"),
            )
            if fig:
                parts.append(fig)
            try:
                df = results["trends"].to_frame()
                df = pd.DataFrame(
                    df.drop(columns=[c for c in df.columns if str(df[c].dtype) == "geometry"])
                )
                parts.append(_table(df))
            except Exception:  # noqa: BLE001 - display only
                pass
        elif "centrography" in results:
            parts.append(_summary_block(results["centrography"]))

    # comparison
    if comparison is not None:
        parts.append(f"<h2>{_e(L['comparison'])}</h2><p class=q>{_e(L['q_compare'])}</p>")
        parts.append(_summary_block(comparison))
        tbl = comparison.to_frame()
        parts.append(
            _table(
                tbl,
                text_cols=(
                    "adcode",
                    "province",
                    "city",
                    "county",
                    "nni_note",
                    "centre_note",
                    "lisa_class",
                ),
            )
        )
        try:
            parts.append(
                _figure(_png(comparison.plot(lang=lang, highlight=highlight)), L["comparison"])
            )
            parts.append(_figure(_png(comparison.plot_map(lang=lang)), L["comparison"]))
        except Exception:  # noqa: BLE001 - a figure must not break the briefing
            pass
        if comparison_map is not None and Path(comparison_map).exists():
            if embed_maps:
                parts.append(
                    f'<h4 class="screen-only">{_e(L["interactive"])}</h4>'
                    + _iframe(Path(comparison_map))
                )
            else:
                parts.append(f'<p class="screen-only">{_link(comparison_map)}</p>')

    # methods and parameters
    if analysis is not None:
        parts.append(f"<h2>{_e(L['methods'])}</h2>")
        rows = []

        def walk(d, prefix=""):
            for k, v in d.items():
                if k in ("wkt", "dataset"):
                    continue
                if isinstance(v, dict):
                    walk(v, f"{prefix}{k}.")
                else:
                    rows.append({L["setting"]: f"{prefix}{k}", L["value"]: str(v)})

        walk(analysis.choices)
        parts.append(_table(pd.DataFrame(rows), max_rows=200, text_cols=(L["setting"], L["value"])))
        steps = pd.DataFrame(
            [
                {L["step"]: s.name, L["status"]: s.status, L["reason"]: s.reason}
                for s in analysis.steps
            ]
        )
        parts.append(
            f"<h3>{_e(L['steps'])}</h3>"
            + _table(steps, text_cols=(L["step"], L["status"], L["reason"]))
        )
    if comparison is not None:
        rows = [{L["setting"]: k, L["value"]: str(v)} for k, v in comparison.settings.items()]
        parts.append(_table(pd.DataFrame(rows), text_cols=(L["setting"], L["value"])))

    # provenance and caveats
    parts.append(f"<h2>{_e(L['provenance'])}</h2>")
    if metas:
        parts.append(
            "<ul>"
            + "".join(
                "<li>" + "; ".join(f"<b>{_e(k)}</b>: {_e(v)}" for k, v in m.items()) + "</li>"
                for m in metas
            )
            + "</ul>"
        )
    else:
        parts.append("<p class=muted>–</p>")
    parts.append(f"<h2>{_e(L['caveats'])}</h2><ul>")
    if simulated:
        parts.append(f"<li><b>{_e(L['simulated'])}</b></li>")
    parts.append(f"<li>{_e(L['precision'])}</li><li>{_e(L['boundaries'])}</li>")
    if comparison is not None:
        parts.extend(f"<li>{_e(n)}</li>" for n in comparison.notes)
    parts.append("</ul>")

    doc = (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
        + "\n".join(parts)
        + "</main></body></html>"
    )
    out_path.write_text(doc, encoding="utf-8")
    return out_path


def find_pdf_engine() -> str | None:
    """Path of a headless Chromium/Chrome able to print PDF, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def print_pdf(html_path, pdf_path=None, *, timeout: float = 120.0) -> Path:
    """Print the briefing to PDF with headless Chromium.

    Raises
    ------
    TaobaoGeoError
        If no Chromium/Chrome is installed (the message says how to get one) or printing fails.
    """
    pdf_path = Path(pdf_path) if pdf_path else Path(html_path).with_suffix(".pdf")
    html_path = Path(html_path).resolve()
    engine = find_pdf_engine()
    if engine is None:
        raise TaobaoGeoError(
            "No PDF engine: headless Chromium/Chrome was not found on PATH. The HTML briefing "
            "is complete; print it from a browser, or install chromium (Debian: apt-get install "
            "chromium) and run again."
        )
    cmd = [
        engine,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path.resolve()}",
        html_path.as_uri(),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise TaobaoGeoError(f"PDF printing timed out after {timeout:.0f} s.") from exc
    if proc.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise TaobaoGeoError(
            f"PDF printing with {engine} failed (exit {proc.returncode}): "
            f"{proc.stderr.decode(errors='replace')[-400:]}"
        )
    return pdf_path
