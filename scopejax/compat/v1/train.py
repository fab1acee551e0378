"""``tf.train``: TF1's optimizers (optax transformations with ``minimize``) and the
global step."""

# ruff: noqa: F401
from scopejax._src.compat.train import AdadeltaOptimizer as AdadeltaOptimizer
from scopejax._src.compat.train import AdagradDAOptimizer as AdagradDAOptimizer
from scopejax._src.compat.train import AdagradOptimizer as AdagradOptimizer
from scopejax._src.compat.train import AdamOptimizer as AdamOptimizer
from scopejax._src.compat.train import FtrlOptimizer as FtrlOptimizer
from scopejax._src.compat.train import GradientDescentOptimizer as GradientDescentOptimizer
from scopejax._src.compat.train import GradientsAndVars as GradientsAndVars
from scopejax._src.compat.train import GradVar as GradVar
from scopejax._src.compat.train import MomentumOptimizer as MomentumOptimizer
from scopejax._src.compat.train import Optimizer as Optimizer
from scopejax._src.compat.train import ProximalAdagradOptimizer as ProximalAdagradOptimizer
from scopejax._src.compat.train import (
    ProximalGradientDescentOptimizer as ProximalGradientDescentOptimizer,
)
from scopejax._src.compat.train import RMSPropOptimizer as RMSPropOptimizer
from scopejax._src.compat.train import get_global_step as get_global_step
from scopejax._src.compat.train import get_or_create_global_step as get_or_create_global_step
