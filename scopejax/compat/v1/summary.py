"""``tf.summary``: summary ops that collect values into ``SUMMARIES``, ``merge_all``
returning them from the model, and ``FileWriter`` writing them (``sj.summary``)."""

# ruff: noqa: F401
from scopejax._src.compat.summary import FileWriter as FileWriter
from scopejax._src.compat.summary import Summaries as Summaries
from scopejax._src.compat.summary import histogram as histogram
from scopejax._src.compat.summary import image as image
from scopejax._src.compat.summary import merge as merge
from scopejax._src.compat.summary import merge_all as merge_all
from scopejax._src.compat.summary import scalar as scalar
from scopejax._src.compat.summary import text as text
