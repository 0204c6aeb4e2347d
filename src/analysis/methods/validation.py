"""Agreement between a researcher's hand codes and the theme model (``python -m analysis validate``).

In: a labels file (CSV or XLSX, columns ``item_id`` and ``code``; a code is a theme
name or ``theme_id`` of the run in ``themes.csv``, or :data:`~analysis.methods.sampling.OTHER`;
blank codes are skipped and counted) and the processed folder's ``item_themes.csv``
and ``themes.csv``. Out: ``validation.json`` (``n``, ``kappa``, ``accuracy`` with
seeded bootstrap 95% intervals, ``nmi``, ``ari``, ``per_theme``) and
``confusion.csv`` (coder rows × model columns, theme names).

The coder is the reference: a theme's precision is the share of the model's items
in it that the coder put there too, its recall the share of the coder's items in it
that the model found, its support the coder's count. Every bad row is found before
anything is written, and reported as one :class:`~analysis.errors.InputError`.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from analysis.errors import InputError
from analysis.methods.sampling import OTHER
from analysis.paths import processed_dir
from analysis.store import read_table, write_json_atomic, write_tables

LABEL_COLUMNS = ("item_id", "code")
#: Codes and model labels (after NFKC) that mean "fits no theme": :data:`OTHER`, the themes step's
#: 未归类 (items without content words) and a bare 其他.
OTHER_ALIASES = frozenset(unicodedata.normalize("NFKC", a) for a in (OTHER, "未归类", "其他"))
#: Offending values an error message names at most.
SHOW = 5
N_BOOT = 1000
CONFIDENCE_LEVEL = 0.95


def _key(value: object) -> str:
    """Matching form of a code or theme name: NFKC, trimmed; ``3.0`` → ``3``."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return re.sub(r"^(\d+)\.0+$", r"\1", text)


def _few(values) -> str:
    values = list(values)
    more = f" and {len(values) - SHOW} more" if len(values) > SHOW else ""
    return ", ".join(map(str, values[:SHOW])) + more


def read_labels(path: str | Path) -> pd.DataFrame:
    """The ``item_id`` and ``code`` columns of a CSV or XLSX (sheet ``coding`` if present, else the first) as text.

    Adds ``row`` (the spreadsheet row, header = 1). Rows with neither id nor code are
    dropped. Raises :class:`InputError` for a missing, unreadable or empty file, a
    missing column, a code without an item id, or a duplicate item id.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "labels file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        elif suffix in (".xlsx", ".xlsm"):
            with pd.ExcelFile(path, engine="openpyxl") as book:
                frame = book.parse("coding" if "coding" in book.sheet_names else 0, dtype=str)
        else:
            raise InputError(path, "labels must be a .csv or .xlsx file")
    except pd.errors.EmptyDataError:
        raise InputError(path, "is empty; expected columns item_id and code") from None
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:  # not a spreadsheet, bad encoding, broken zip
        raise InputError(path, f"cannot be read as {suffix[1:]} ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing column {', '.join(missing)}; expected item_id and code (found: {_few(frame.columns) or 'none'})")
    frame = pd.DataFrame({c: frame[c].fillna("").astype(str).str.strip() for c in LABEL_COLUMNS})
    frame.insert(0, "row", frame.index + 2)
    frame = frame[(frame.item_id != "") | (frame.code != "")].reset_index(drop=True)
    if frame.empty:
        raise InputError(path, "has no rows; expected columns item_id and code")
    no_id = frame[frame.item_id == ""]
    if len(no_id):
        raise InputError(path, f"{len(no_id)} code(s) without an item_id (rows {_few(no_id.row)})")
    dup = frame[frame.item_id.duplicated(keep=False)]
    if len(dup):
        firsts = dup.groupby("item_id", sort=False).row.apply(lambda r: f"{r.name} (rows {', '.join(map(str, r))})")
        raise InputError(path, f"{dup.item_id.nunique()} duplicate item id(s): {_few(firsts)}")
    return frame


def code_names(themes: pd.DataFrame, item_themes: pd.DataFrame) -> dict[str, str]:
    """Matching key of every allowed code (theme name or id, :data:`OTHER` and its aliases) → theme name."""
    pairs = pd.concat([themes[["theme_id", "theme_label"]], item_themes[["theme_id", "theme_label"]]]).drop_duplicates()
    names = {_key(a): OTHER for a in OTHER_ALIASES}
    for theme_id, label in zip(pairs.theme_id, pairs.theme_label):
        name = OTHER if _key(label) in OTHER_ALIASES else label
        names.setdefault(_key(label), name)
        names.setdefault(_key(theme_id), name)
    return names


def theme_order(themes: pd.DataFrame) -> list[str]:
    """Theme names in ``themes.csv`` order, then :data:`OTHER`."""
    names = [OTHER if _key(t) in OTHER_ALIASES else t for t in themes.theme_label]
    return list(dict.fromkeys([*names, OTHER]))


def align(labels: pd.DataFrame, item_themes: pd.DataFrame, themes: pd.DataFrame, source: str | Path | None = None) -> pd.DataFrame:
    """Coded items with both themes: ``item_id, doc_id, coder, model`` (+ ``confidence`` when the model has it).

    Blank codes are left out (their number is ``attrs["n_blank"]``). Unknown item ids
    and unknown codes raise one :class:`InputError` naming the first few of each.
    """
    names = code_names(themes, item_themes)
    coded = labels[labels.code != ""]
    problems = []
    unknown_ids = labels.loc[~labels.item_id.isin(item_themes.item_id)]
    if len(unknown_ids):
        problems.append(f"{len(unknown_ids)} item id(s) not in item_themes.csv: {_few(unknown_ids.item_id)}")
    unknown_codes = list(dict.fromkeys(c for c in coded.code if _key(c) not in names))
    if unknown_codes:
        problems.append(f"{len(unknown_codes)} code(s) that are no theme name or id of themes.csv nor {OTHER}: {_few(unknown_codes)}")
    if problems:
        raise InputError(source, "; ".join(problems))
    if coded.empty:
        raise InputError(source, f"none of the {len(labels)} rows has a code yet; nothing to validate")
    model_cols = ["item_id", "doc_id", "theme_label"] + (["confidence"] if "confidence" in item_themes.columns else [])
    out = coded.merge(item_themes[model_cols], on="item_id", how="left", validate="one_to_one")
    out["coder"] = [names[_key(c)] for c in out.code]
    out["model"] = [OTHER if _key(t) in OTHER_ALIASES else t for t in out.theme_label]
    out = out[["item_id", "doc_id", "coder", "model"] + model_cols[3:]].reset_index(drop=True)
    out.attrs["n_blank"] = int(len(labels) - len(coded))
    return out


def kappa(table: np.ndarray) -> float:
    """Cohen's κ of a square agreement table: (p_o − p_e) / (1 − p_e); 1.0 when p_e = 1 and all agree."""
    table = np.asarray(table, dtype=float)
    total = table.sum()
    observed = np.trace(table) / total
    expected = float(table.sum(axis=1) @ table.sum(axis=0)) / total**2
    return 1.0 if expected == 1 else float((observed - expected) / (1 - expected))


def _table(coder: np.ndarray, model: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(coder * k + model, minlength=k * k).reshape(k, k)


def bootstrap_intervals(coder: np.ndarray, model: np.ndarray, k: int, n_boot: int = N_BOOT, random_state: int = 0) -> dict:
    """Percentile intervals (:data:`CONFIDENCE_LEVEL`) of κ and accuracy over ``n_boot`` item resamples."""
    rng = np.random.default_rng(random_state)
    draws = rng.integers(0, len(coder), size=(n_boot, len(coder)))
    kappas = [kappa(_table(coder[d], model[d], k)) for d in draws]
    accuracies = (coder[draws] == model[draws]).mean(axis=1)
    tail = 100 * (1 - CONFIDENCE_LEVEL) / 2
    return {name: [round(float(v), 4) for v in np.percentile(values, [tail, 100 - tail])]
            for name, values in (("kappa", kappas), ("accuracy", accuracies))}  # fmt: skip


def confusion(aligned: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Counts of coder theme (rows) × model theme (columns), themes in ``order`` that occur on either side."""
    present = [t for t in order if t in set(aligned.coder) | set(aligned.model)]
    table = pd.crosstab(aligned.coder, aligned.model).reindex(index=present, columns=present, fill_value=0)
    table.index.name, table.columns.name = "coder", None
    return table


def per_theme(table: pd.DataFrame) -> dict[str, dict]:
    """Precision, recall, F1, support (coder count) and predicted (model count) of each theme of ``table``.

    Precision is None (JSON null) when the model put no item in the theme, recall when the coder put none.
    """
    counts = table.to_numpy()
    out = {}
    for j, name in enumerate(table.index):
        hit, support, predicted = counts[j, j], counts[j].sum(), counts[:, j].sum()
        precision = round(float(hit / predicted), 4) if predicted else None
        recall = round(float(hit / support), 4) if support else None
        f1 = 2 * hit / (support + predicted)  # = 2PR / (P + R); 0 when the theme is missed or never right
        out[name] = {"precision": precision, "recall": recall, "f1": round(float(f1), 4), "support": int(support), "predicted": int(predicted)}
    return out


@dataclass
class Validation:
    """Result of comparing codes with the model: the figures, the confusion table and the aligned items."""

    figures: dict
    confusion: pd.DataFrame
    items: pd.DataFrame = field(repr=False)

    def disagreements(self) -> pd.DataFrame:
        """Items where coder and model differ (most confident model first when confidence is known)."""
        wrong = self.items[self.items.coder != self.items.model]
        if "confidence" in wrong.columns:
            return wrong.sort_values(["confidence", "item_id"], ascending=[False, True], ignore_index=True)
        return wrong.reset_index(drop=True)


def validate(labels: pd.DataFrame, item_themes: pd.DataFrame, themes: pd.DataFrame, source: str | Path | None = None, random_state: int = 0) -> Validation:
    """Score ``labels`` (from :func:`read_labels`) against the model's ``item_themes``; see the module doc."""
    aligned = align(labels, item_themes, themes, source)
    table = confusion(aligned, theme_order(themes))
    index = {name: i for i, name in enumerate(table.index)}
    coder, model = aligned.coder.map(index).to_numpy(), aligned.model.map(index).to_numpy()
    figures = {
        "n": int(len(aligned)),
        "n_blank": aligned.attrs["n_blank"],
        "n_documents": int(aligned.doc_id.nunique()),
        "basis": "items",
        "kappa": round(kappa(table.to_numpy()), 4),
        "accuracy": round(float((coder == model).mean()), 4),
        "nmi": round(float(normalized_mutual_info_score(coder, model)), 4),
        "ari": round(float(adjusted_rand_score(coder, model)), 4),
        "intervals": {"level": CONFIDENCE_LEVEL, "method": f"percentile bootstrap over items, {N_BOOT} resamples, seed {random_state}",
                      **bootstrap_intervals(coder, model, len(table), random_state=random_state)},
        "per_theme": per_theme(table),
    }  # fmt: skip
    if "confidence" in aligned.columns:
        agree = aligned.coder == aligned.model
        figures["mean_confidence"] = {
            name: round(float(aligned.confidence[mask].mean()), 4) if mask.any() else None
            for name, mask in (("agree", agree), ("disagree", ~agree))
        }
    return Validation(figures, table, aligned)


def validate_folder(
    processed: str | Path | None, labels: str | Path, item_themes: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None, random_state: int = 0,
) -> Validation:
    """:func:`validate` a labels file against the processed folder's theme run, or the given ``item_themes`` and ``themes``."""
    folder = processed_dir(processed)
    themes = read_table(folder, "themes", step="themes") if themes is None else themes
    item_themes = read_table(folder, "item_themes", step="themes") if item_themes is None else item_themes
    return validate(read_labels(labels), item_themes, themes, source=labels, random_state=random_state)


def write_outputs(result: Validation, out_dir: str | Path) -> list[Path]:
    """Write ``confusion.csv`` and ``validation.json`` to ``out_dir`` (atomically)."""
    paths = write_tables({"confusion": result.confusion.reset_index()}, out_dir)
    paths.append(write_json_atomic(Path(out_dir) / "validation.json", result.figures))
    return paths


def _pad(text: str, width: int) -> str:
    """``text`` cut and padded to ``width`` terminal columns (CJK characters take two)."""
    out, used = "", 0
    for char in text:
        w = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used + w > width:
            break
        out, used = out + char, used + w
    return out + " " * (width - used)


def summary_lines(figures: dict, max_themes: int = 16) -> list[str]:
    """A one-screen text summary of ``validation.json`` figures."""
    ci = figures["intervals"]
    lines = [
        f"n={figures['n']} coded items from {figures['n_documents']} document(s) ({figures['n_blank']} blank codes skipped)",
        f"accuracy {figures['accuracy']:.3f} [{ci['accuracy'][0]:.3f}, {ci['accuracy'][1]:.3f}]  "
        f"kappa {figures['kappa']:.3f} [{ci['kappa'][0]:.3f}, {ci['kappa'][1]:.3f}]  (95% bootstrap)",
        f"NMI {figures['nmi']:.3f}  ARI {figures['ari']:.3f}",
        f"{'theme':<22}{'support':>8}{'model':>7}{'prec':>7}{'recall':>7}{'F1':>7}",
    ]
    rows = sorted(figures["per_theme"].items(), key=lambda kv: (-kv[1]["support"], kv[0]))
    for name, s in rows[:max_themes]:
        shares = "".join(f"{'—' if v is None else f'{v:.2f}':>7}" for v in (s["precision"], s["recall"], s["f1"]))
        lines.append(f"{_pad(name, 22)}{s['support']:>8}{s['predicted']:>7}{shares}")
    if len(rows) > max_themes:
        lines.append(f"… {len(rows) - max_themes} more themes in validation.json")
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis validate``."""
    parser.add_argument("--processed", default="data/processed", help="folder with item_themes.csv and themes.csv (default: data/processed)")
    parser.add_argument("--labels", required=True, help="CSV or XLSX with columns item_id and code (theme name or id; blank = not coded yet)")
    parser.add_argument("--out", default=None, help="folder for validation.json and confusion.csv (default: the --processed folder)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap intervals (default: 0)")


def run(args: argparse.Namespace) -> int:
    """Run the validate step from parsed command-line arguments."""
    result = validate_folder(args.processed, args.labels, random_state=args.seed)
    out = args.out or args.processed
    write_outputs(result, out)
    print("\n".join(summary_lines(result.figures)))
    print(f"wrote validation.json and confusion.csv to {out}")
    return 0
