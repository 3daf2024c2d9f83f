"""Shared constructs and configuration for the geo-spatial data application's environments."""
