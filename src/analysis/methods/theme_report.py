"""Tables and sentences for the themes report, computed from a :class:`~analysis.methods.themes.ThemeResult`.

Every table names documents (青岛市 2024), never ids, and carries its n and basis.
Findings are plain Chinese; agreement and stability figures go to the method notes.
"""

from __future__ import annotations

import pandas as pd

from analysis.methods.theme_assign import EVIDENCE_WEIGHT
from analysis.methods.theme_discovery import DOMINANCE_SHARE, K_TOLERANCE, N_RUNS
from analysis.methods.theme_lexicon import OTHER, SEED_RATIO
from analysis.methods.themes import CONCENTRATION_MAX_SHARE, CONCENTRATION_MIN_SIZE, ThemeResult

MODE_NAMES = {"guided": "主题词表引导", "discovery": "无词表发现", "trained": "按人工编码训练"}
EVIDENCE_NAMES = {"keyword": "关键词明确", "words": "无明确关键词（按用词）", "none": "无内容词"}


def _unit_name(result: ThemeResult) -> str:
    return "句" if result.diagnostics["parameters"]["unit"] == "sentence" else "条事项"


def _excerpt(text: str, n_chars: int) -> str:
    return text if len(text) <= n_chars else text[:n_chars] + "…"


def themes_named(result: ThemeResult) -> pd.DataFrame:
    """``themes.csv`` with ``top_doc`` as the document's name, for the charts."""
    return result.themes.assign(top_doc=result.themes.top_doc.map(result.doc_labels).fillna(result.themes.top_doc))


def theme_document_shares(result: ThemeResult) -> pd.DataFrame:
    """Themes (rows, largest first, 其他 last) × documents (named columns): share of each document's items."""
    items = result.item_themes
    counts = pd.crosstab(items.theme_label, items.doc_id)
    rows = [t for t in result.themes.theme_label if t in counts.index] + ([OTHER] if OTHER in counts.index else [])
    docs = [d for d in result.doc_labels.index if d in counts.columns]
    shares = counts.loc[rows, docs] / counts[docs].sum(axis=0)
    return shares.rename(columns=result.doc_labels.to_dict())


def other_shares(result: ThemeResult) -> pd.DataFrame:
    """Per document: items, items in 其他（未归类）, their share, and the rule that put them there."""
    items = result.item_themes
    threshold = result.diagnostics["parameters"]["threshold"]
    rule = f"置信度 < {threshold:.2f} 或无内容词" if result.diagnostics["parameters"]["mode"] != "discovery" else "无内容词"
    rows = []
    for doc, group in items.groupby("doc_id", sort=False):
        other = int((group.theme_id == 0).sum())
        rows.append({"文件": result.doc_labels.get(doc, doc), "事项数 n": len(group), "其他 事项数": other,
                     "其他 占比": f"{other / len(group):.0%}", "依据": "按事项计", "规则": rule})  # fmt: skip
    return pd.DataFrame(rows)


def low_confidence_items(result: ThemeResult, items: pd.DataFrame, n: int = 15, n_chars: int = 60) -> pd.DataFrame:
    """The ``n`` items with the lowest confidence: document, theme (or 其他), confidence, evidence, text."""
    text = items.set_index("item_id").text
    rows = result.item_themes[result.item_themes.evidence != "none"].sort_values(["confidence", "item_id"]).head(n)
    return pd.DataFrame(
        {
            "文件": rows.doc_id.map(result.doc_labels).to_numpy(),
            "主题": rows.theme_label.to_numpy(),
            "置信度": rows.confidence.map("{:.3f}".format).to_numpy(),
            "关键词证据": rows.evidence.map(EVIDENCE_NAMES).to_numpy(),
            "事项": [_excerpt(text[i], n_chars) for i in rows.item_id],
        }
    )


def representative_items(result: ThemeResult, items: pd.DataFrame, n_chars: int = 80) -> pd.DataFrame:
    """Per theme its most confidently assigned items: theme, document, opening text."""
    text = items.set_index("item_id")
    rows = []
    for theme in result.themes.itertuples():
        for item_id in filter(None, theme.representative_item_ids.split(";")):
            item = text.loc[item_id]
            rows.append({"主题": theme.theme_label, "文件": result.doc_labels.get(item.doc_id, item.doc_id),
                         "事项": _excerpt(item.text, n_chars)})  # fmt: skip
    return pd.DataFrame(rows)


def candidate_table(result: ThemeResult, items: pd.DataFrame, n_chars: int = 40) -> pd.DataFrame:
    """Candidate new themes (clusters of the 其他 items): size, documents, top terms, one example."""
    if result.candidates is None or result.candidates.empty:
        return pd.DataFrame(columns=["候选", "事项数", "文件数", "主题词", "示例事项"])
    text = items.set_index("item_id").text
    c = result.candidates
    return pd.DataFrame(
        {
            "候选": c.candidate_id,
            "事项数": c["size"],
            "文件数": c.n_docs,
            "主题词": c.top_terms.str.replace(";", "、"),
            "示例事项": [_excerpt(text[ids.split(";")[0]], n_chars) for ids in c.item_ids],
        }
    )


def theme_table(result: ThemeResult) -> pd.DataFrame:
    """``themes.csv`` for reading: Chinese headers, document names, terms joined by 、."""
    t = result.themes
    return pd.DataFrame(
        {
            "编号": t.theme_id,
            "主题": t.theme_label,
            "单位数": t["size"],
            "事项数": t.n_items,
            "文件数": t.n_docs,
            "最大来源文件": [f"{result.doc_labels.get(d, d)}（{s:.0%}）" for d, s in zip(t.top_doc, t.top_doc_share)],
            "平均置信度": t.mean_confidence.map("{:.2f}".format),
            "主题词": t.top_terms.str.replace(";", "、"),
        }
    )


def diagnostics_table(result: ThemeResult) -> pd.DataFrame:
    """The run's quality figures as rows of 指标 / 数值 / 说明 (basis and rule)."""
    d = result.diagnostics
    unit = _unit_name(result)
    rows = [
        ("主题数", d["k"], f"模式：{MODE_NAMES[d['parameters']['mode']]}"),
        ("关键词明确的单位", d["keyword_units"], f"种子词命中数 ≥ 次多主题的 {SEED_RATIO} 倍"),
        ("无明确关键词的单位", d["words_units"], "按 TF-IDF 用词归入主题"),
        (f"其他（未归类）{unit}", d["other_units"], f"置信度 < {d['parameters']['threshold']:.2f} 或无内容词"),
        ("以词表命名的主题", d["named_themes"], "引导/训练模式即词表主题；发现模式需该词表主题占聚类一半以上"),
        ("随机种子稳定性", f"{d['stability']['mean_ari']:.3f}", f"{len(d['stability']['seeds'])} 个随机种子两两调整兰德指数均值（目标 ≥ 0.8）"),
        ("抽样稳定性", f"{d['resample_stability']['mean_ari']:.3f}",
         f"{d['resample_stability']['repeats']} 次 {d['resample_stability']['fraction']:.0%} 抽样重拟合与全量结果的调整兰德指数均值"),
        ("单一文件最高占比", f"{d['max_top_doc_share']:.0%}", f"≥{CONCENTRATION_MIN_SIZE} 个单位的主题中，最大来源文件所占比例"),
        ("集中于单一文件的主题", len(d["concentrated_themes"]), f"≥{CONCENTRATION_MIN_SIZE} 个单位且 >{CONCENTRATION_MAX_SHARE:.0%} 来自同一文件"),
    ]  # fmt: skip
    if "cross_validation" in d:
        cv = d["cross_validation"]
        rows.append(("留一文件交叉验证一致率", f"{cv['accuracy']:.0%}", f"{cv['n']} 条人工编码事项，每次留出一份文件；κ={cv['kappa']:.2f}"))
    return pd.DataFrame(rows, columns=["指标", "数值", "说明"]).astype({"数值": str})


def key_findings(result: ThemeResult) -> list[str]:
    """Two to four plain-Chinese sentences summarising the run, computed from its tables."""
    themes, items = result.themes, result.item_themes
    n_items, n_docs = len(items), items.doc_id.nunique()
    top = themes.iloc[0]
    findings = [
        f"最大的主题是「{top.theme_label}」：{n_items} 条事项中有 {top.n_items} 条（{top.n_items / n_items:.0%}，按事项计），"
        f"来自 {top.n_docs}/{n_docs} 份文件；共 {len(themes)} 个主题。"
    ]
    shares = theme_document_shares(result).drop(index=OTHER, errors="ignore")
    overall = items.theme_label.value_counts(normalize=True)
    sizes = items.doc_id.map(result.doc_labels).value_counts()
    lift = shares.div(overall.reindex(shares.index), axis=0)
    best = max(
        ((t, d) for t in lift.index for d in lift.columns if shares.loc[t, d] * sizes[d] >= 3),
        key=lambda td: (lift.loc[td], td),
        default=None,
    )
    if best is not None:
        t, d = best
        findings.append(
            f"与全部文件相比，{d} 最突出「{t}」：占其 {sizes[d]} 条事项的 {shares.loc[t, d]:.0%}，"
            f"全部事项中为 {overall[t]:.0%}（{lift.loc[t, d]:.1f} 倍，按事项计）。"
        )
    other = int((items.theme_id == 0).sum())
    if result.diagnostics["parameters"]["mode"] != "discovery":
        findings.append(
            f"{other} 条事项（{other / n_items:.0%}）把握不足，未强行归入主题，记为「{OTHER}」；"
            f"{result.diagnostics['words_units']} {_unit_name(result)}没有明确的主题关键词，按用词与关键词明确的事项相似程度归类。"
        )
    if "cross_validation" in result.diagnostics:
        cv = result.diagnostics["cross_validation"]
        findings.append(f"用研究者的 {cv['n']} 条人工编码训练：每次留出一份文件检验，{cv['accuracy']:.0%} 的事项与人工编码一致。")
    return findings


def method_notes(result: ThemeResult) -> list[str]:
    """Plain-language notes on how the themes were made, with the technical figures."""
    d = result.diagnostics
    mode = d["parameters"]["mode"]
    features = d["parameters"]["features"]
    notes = [
        "分词：jieba 精确模式 + 卫生健康领域词典；去除政策套话停用词、数字与量词、地名（清单 + 文件所在地）。",
        f"特征：TF-IDF（sublinear tf={features['sublinear_tf']}，min_df={features['min_df']}，max_df={features['max_df']}），"
        f"{d['n_features']} 维；单位：{d['parameters']['unit']}。",
    ]
    if mode == "guided":
        notes.append(
            f"引导模式：种子词命中数 ≥ 次多主题 {SEED_RATIO} 倍的单位为关键词明确（{d['keyword_units']} 个）；以这些单位训练 TF-IDF 逻辑回归，"
            f"再与关键词证据合并（每个命中加 {EVIDENCE_WEIGHT} 对数几率）得出各主题概率，最高概率即置信度；"
            f"低于 {d['parameters']['threshold']:.2f} 记为「{OTHER}」。其他事项再聚类，给出候选新主题。"
        )
    elif mode == "discovery":
        notes.append(
            f"发现模式：{N_RUNS} 次随机初始化的 NMF 共现矩阵上做平均链接层次聚类（共识聚类），k={d['k']}"
            f"（auto：单次 NMF 两两调整兰德指数最高者 {K_TOLERANCE} 以内的最小 k）；单次 NMF 间调整兰德指数 {d.get('run_stability', float('nan')):.2f}。"
            f"命名用类内 TF-IDF 前三词；仅当 ≥{DOMINANCE_SHARE:.0%} 的单位关键词明确指向同一词表主题时采用该名称；置信度为该单位与同类单位的平均共现比例。"
        )
    else:
        cv = d["cross_validation"]
        notes.append(
            f"训练模式：TF-IDF 加关键词命中数为特征，逻辑回归学习 {d['cross_validation']['n_coded']} 条人工编码；"
            f"留一文件交叉验证（{cv['n_plans']} 份文件）：一致率 {cv['accuracy']:.3f}，κ {cv['kappa']:.3f}，NMI {cv['nmi']:.3f}，ARI {cv['ari']:.3f}。"
        )
    notes.append(
        f"诊断：轮廓系数 {d['silhouette']:.3f}（余弦）；随机种子间调整兰德指数均值 {d['stability']['mean_ari']:.2f}，"
        f"80% 抽样重拟合 {d['resample_stability']['mean_ari']:.2f}。"
    )
    return notes
