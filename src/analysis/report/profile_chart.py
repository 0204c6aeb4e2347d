"""The chart of report ``06_plan_profile``: one plan's theme shares against its peers, with intervals."""

from __future__ import annotations

from analysis.report.plots import setup


def profile_chart(profile, plan_label: str, peer_label: str):
    """Dots with 95% Wilson bars: the plan (red) and its peers (grey) per theme.

    ``profile`` as from :func:`analysis.methods.plan_profile.theme_profile`
    (shares in %); peers are left out when ``peer_total`` is 0. Returns a Figure.
    """
    from matplotlib.figure import Figure

    setup()
    rows = profile.iloc[::-1]
    fig = Figure(figsize=(8.5, 0.36 * len(rows) + 1.6))
    ax = fig.subplots()
    y = list(range(len(rows)))
    series = [("share", "ci_low", "ci_high", "#c0392b", plan_label, 0.15)]
    if rows.peer_total.gt(0).any():
        series.append(("peer_share", "peer_ci_low", "peer_ci_high", "#7f8c8d", peer_label, -0.15))
    for col, low, high, color, label, dy in series:
        pos = [v + dy for v in y]
        ax.errorbar(rows[col], pos, xerr=[rows[col] - rows[low], rows[high] - rows[col]], fmt="o", color=color,
                    ecolor=color, elinewidth=1, capsize=2, markersize=5, label=label)  # fmt: skip
    ax.set_yticks(y, rows["theme_label"])
    ax.set_xlabel("主题占比（%，按要点计；横线为 95% Wilson 区间）")
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig
