"""``tf.contrib``: the parts real TF1 model code uses (``contrib.layers``)."""

from scopejax.compat.v1.contrib import layers as layers
