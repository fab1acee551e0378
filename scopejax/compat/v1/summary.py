"""``tf.summary``: TF1's graph-mode summary ops (values are pytrees a model returns) and
``FileWriter`` (writes them through ``sj.summary``, no TensorFlow)."""

# ruff: noqa: F401
from scopejax._src.compat.summary import FileWriter as FileWriter
from scopejax._src.compat.summary import MergedSummary as MergedSummary
from scopejax._src.compat.summary import Summary as Summary
from scopejax._src.compat.summary import histogram as histogram
from scopejax._src.compat.summary import image as image
from scopejax._src.compat.summary import merge as merge
from scopejax._src.compat.summary import merge_all as merge_all
from scopejax._src.compat.summary import scalar as scalar
from scopejax._src.compat.summary import text as text
