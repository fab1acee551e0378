"""``tf.contrib``: the parts real TF1 model code uses (``contrib.layers``)."""

from scopejax.compat.v1.contrib import layers as layers
from scopejax.compat.v1.contrib import legacy_seq2seq as legacy_seq2seq
from scopejax.compat.v1.contrib import rnn as rnn
from scopejax.compat.v1.contrib import seq2seq as seq2seq
from scopejax.compat.v1.contrib import training as training
