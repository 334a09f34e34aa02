"""An independent second implementation ("oracle") of kkm2's building-level key figures and their
municipality aggregation (issue 17), written from shared/design/KEY_FIGURES.md and INFORMATION_MODEL.md
only: plain Python and pandas over the submitted files, the reference files and the seed CSVs. It shares
no code with pipeline/ or the dbt models.

- `files`     reads a submission's files (CSV in its Danish variants, XLSX, JSON, Eloverblik exports)
- `oracle`    computes the figures (`compute(home_root)`) and compares them with the published marts
- `generator` a hypothesis strategy of small, tricky but legal submissions, and their writer
"""
