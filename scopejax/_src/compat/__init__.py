"""The implementation of :mod:`scopejax.compat.v1` (TF1's namespace over scopejax)."""
