"""Operator commands for the geo-spatial web app (run as ``python -m ops.<command>``)."""
