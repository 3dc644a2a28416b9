"""Exports for researchers: a tidy outcome table (CSV/Parquet) and Motion-BIDS."""
