"""Ingestion is partitioned by municipality; the unit of validation inside a partition is the submission
(municipality × year)."""

from __future__ import annotations

import dagster as dg

from pipeline.contract import codes as code_lists

kommune_partitions = dg.StaticPartitionsDefinition(list(code_lists.codes("kommunekode")))
