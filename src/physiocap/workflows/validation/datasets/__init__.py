"""Loaders for the public reference datasets, one module per dataset.

Each loader turns a folder laid out like ``../shared/data/DATASET`` into
:class:`~physiocap.workflows.validation.datasets.recording.ReferenceRecording` objects:
plain arrays plus the reference values that did not come from our algorithms.
"""

from physiocap.workflows.validation.datasets.recording import (
    DATASET_NAMES,
    ReferenceRecording,
    SensorData,
    load_dataset,
)

__all__ = ["DATASET_NAMES", "ReferenceRecording", "SensorData", "load_dataset"]
