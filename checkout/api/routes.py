"""Imports every API resource module so their views register on the blueprint."""
