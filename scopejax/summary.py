"""TensorBoard without TensorFlow: op graphs grouped by name scope, and training summaries.

``scope_tree`` shows ops and parameters per scope inline in Jupyter. The rest needs the
``tensorboard`` package (``pip install 'scopejax[summary]'``), imported on first use.
View with ``tensorboard --logdir LOGDIR``.

>>> import jax, jax.numpy as jnp, scopejax as sj, tempfile
>>> def model(x):
...     with sj.variable_scope("model"):
...         return sj.layers.dense(x, 2, name="l1")
>>> net = sj.transform(model)
>>> store = net.init(jax.random.key(0), jnp.ones([1, 3]))
>>> logdir = tempfile.mkdtemp()
>>> _ = sj.summary.write_graph(logdir, net.apply, store, jnp.ones([1, 3]))
>>> with sj.summary.create_file_writer(logdir) as w:
...     w.scalar("loss", 0.5, step=1)
"""

from scopejax._src.summary.graph import graph_def as graph_def
from scopejax._src.summary.graph import write_graph as write_graph
from scopejax._src.summary.tree import Scope as Scope
from scopejax._src.summary.tree import ScopeTree as ScopeTree
from scopejax._src.summary.tree import scope_tree as scope_tree
from scopejax._src.summary.writer import SummaryWriter as SummaryWriter
from scopejax._src.summary.writer import create_file_writer as create_file_writer
