"""Validation of the mobility analyses against public datasets with independent references."""
