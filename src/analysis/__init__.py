"""Policy analytics for Chinese local health work plans (卫生健康工作要点).

Pipeline: ``data/raw`` (originals + manifest.csv) -> ``ingest`` -> ``data/processed``
-> themes / shifts / targets -> parameterized notebooks -> ``reports/``.
"""

__version__ = "0.2.0"
