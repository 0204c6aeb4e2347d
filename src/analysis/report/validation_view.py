"""Validation section of the themes report: hand codes against the model, in plain Chinese.

In: the processed folder, a labels file (``item_id`` + ``code``, as for ``python -m
analysis validate``) and optionally the report's own ``item_themes``. Out (displayed
by :func:`show`): a summary, the agreement figures, the confusion matrix as a chart,
per-theme precision and recall, and the items where coder and model disagree.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.methods.corpus import document_labels
from analysis.methods.validation import Validation, validate_folder
from analysis.paths import processed_dir, project_root
from analysis.report import kit, plots
from analysis.store import read_table

EXCERPT_CHARS = 80


def findings(result: Validation, labels: str | Path) -> list[str]:
    """Plain-Chinese sentences on the agreement, each with n, basis and method."""
    f = result.figures
    ci = f["intervals"]
    lines = [
        f"编码员与模型一致的事项占 {f['accuracy']:.0%}（n={f['n']} 条事项，来自 {f['n_documents']} 份文件；"
        f"95% 自助区间 {ci['accuracy'][0]:.0%}–{ci['accuracy'][1]:.0%}）。",
        f"扣除偶然一致后的 Cohen's κ 为 {f['kappa']:.2f}（95% 自助区间 {ci['kappa'][0]:.2f}–{ci['kappa'][1]:.2f}）；"
        f"归一化互信息 NMI {f['nmi']:.2f}，调整兰德指数 ARI {f['ari']:.2f}。",
    ]
    weak = [(name, s) for name, s in f["per_theme"].items() if s["support"] >= 3 and s["f1"] < 0.6]
    if weak:
        lines.append("一致性较低（F1 < 0.6，编码员至少 3 条）的主题：" + "、".join(f"「{name}」（F1 {s['f1']:.2f}，n={s['support']}）" for name, s in weak) + "。")
    if "mean_confidence" in f and f["mean_confidence"]["disagree"] is not None:
        c = f["mean_confidence"]
        lines.append(f"模型置信度：一致事项平均 {c['agree']:.2f}，不一致事项平均 {c['disagree']:.2f}。")
    lines.append(f"编码文件：{Path(labels).name}；{f['n_blank']} 条尚未编码（空白）的事项未计入。")
    return lines


def figures_table(result: Validation) -> pd.DataFrame:
    """The agreement figures as rows of 指标 / 数值 / 说明."""
    f = result.figures
    ci = f["intervals"]
    rows = [
        ("已编码事项 n", f["n"], f"以事项计；另有 {f['n_blank']} 条空白未计入"),
        ("一致率", f"{f['accuracy']:.1%}", f"编码员与模型主题相同的事项占比；95% 区间 {ci['accuracy'][0]:.1%}–{ci['accuracy'][1]:.1%}"),
        ("Cohen's κ", f"{f['kappa']:.3f}", f"扣除偶然一致；95% 区间 {ci['kappa'][0]:.3f}–{ci['kappa'][1]:.3f}（对事项自助抽样 1000 次）"),
        ("NMI", f"{f['nmi']:.3f}", "归一化互信息（算术平均归一），只看分组是否一致，不看名称"),
        ("ARI", f"{f['ari']:.3f}", "调整兰德指数：成对事项是否同组，0 为随机水平"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["指标", "数值", "说明"]).astype({"数值": str})


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def theme_table(result: Validation) -> pd.DataFrame:
    """Per theme: coder and model counts, precision and recall in % (— when undefined: no item on that side), F1."""
    rows = [
        {"主题": name, "编码员条数": s["support"], "模型条数": s["predicted"], "精确率": _percent(s["precision"]),
         "召回率": _percent(s["recall"]), "F1": f"{s['f1']:.2f}"}
        for name, s in result.figures["per_theme"].items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


def disagreement_table(result: Validation, processed: str | Path | None = None) -> pd.DataFrame:
    """Items where coder and model differ: document name, item id, both themes, (confidence,) item excerpt."""
    folder = processed_dir(processed)
    wrong = result.disagreements()
    names = document_labels(read_table(folder, "documents"))
    text = read_table(folder, "items").set_index("item_id")["text"]
    excerpt = wrong.item_id.map(text).map(lambda t: t if len(t) <= EXCERPT_CHARS else t[:EXCERPT_CHARS] + "…")
    out = pd.DataFrame({"文件": wrong.doc_id.map(names).fillna(wrong.doc_id), "事项编号": wrong.item_id,
                        "编码员": wrong.coder, "模型": wrong.model})  # fmt: skip
    if "confidence" in wrong.columns:
        out["模型置信度"] = wrong.confidence.map(lambda c: f"{c:.2f}")
    out["事项"] = excerpt
    return out


def confusion_chart(table: pd.DataFrame):
    """Heatmap of coder (rows) × model (columns) counts; the diagonal (agreement) outlined."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    plots.setup()
    values = table.to_numpy()
    k = len(table)
    fig = Figure(figsize=(1.6 + 0.5 * k, 1.4 + 0.45 * k))
    ax = fig.subplots()
    ax.imshow(values, cmap="Blues", vmin=0)
    for (r, c), v in np.ndenumerate(values):
        if v:
            ax.text(c, r, str(v), ha="center", va="center", fontsize=8, color="white" if v > values.max() * 0.6 else "#333")
    for i in range(k):
        ax.add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#2e7d32", linewidth=1))
    ax.set_xticks(range(k), table.columns, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), table.index, fontsize=8)
    ax.set_xlabel("模型主题")
    ax.set_ylabel("编码员主题")
    ax.set_title(f"编码员 × 模型（事项数，n={int(values.sum())}；对角线为一致）", loc="left")
    fig.tight_layout()
    return fig


def show(processed: str | Path | None, labels: str | Path, item_themes: pd.DataFrame | None = None,
         themes: pd.DataFrame | None = None) -> Validation:
    """Display the validation section (heading, findings, figures, chart, per-theme and disagreement tables).

    ``labels`` is a CSV/XLSX path, relative to the working folder or the project root;
    ``item_themes`` and ``themes`` (default: the processed folder's CSV files) are the run to check.
    """
    from IPython.display import HTML, display

    labels = Path(labels)
    if not labels.is_absolute() and not labels.exists():  # a notebook runs in notebooks/; paths are from the project root
        labels = project_root() / labels
    result = validate_folder(processed, labels, item_themes, themes)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in findings(result, labels))
    display(HTML(f"<h2>人工编码检验 Validation against hand coding</h2><ul class='validation-findings'>{items}</ul>"))
    display(kit.table(figures_table(result), caption="一致性指标（编码员为参照）"))
    display(confusion_chart(result.confusion))
    display(kit.table(theme_table(result), caption="各主题精确率与召回率（精确率：模型归入该主题的事项中编码员也归入的比例；召回率：反之）"))
    display(kit.table(disagreement_table(result, processed), caption="编码员与模型不一致的事项"))
    return result
