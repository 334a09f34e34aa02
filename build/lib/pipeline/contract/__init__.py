"""The submission contract (INFORMATION_MODEL.md), defined once.

Parsing, validation, the raw tables' DDL, the GX suites, the dbt source YAML and (later) templates and
the published schema are all generated from the definitions in this package.
"""

from pipeline.contract.datasets import DATASETS, dataset_for_file, get_dataset
from pipeline.contract.model import Column, Dataset

__all__ = ["Column", "Dataset", "DATASETS", "dataset_for_file", "get_dataset"]
