"""``tf.train``: TF1's optimizers (optax transformations with ``minimize``) and the
global step."""

# ruff: noqa: F401
from scopejax._src.compat.lr_decay import GLOBAL_STEP as GLOBAL_STEP
from scopejax._src.compat.lr_decay import GlobalStepRef as GlobalStepRef
from scopejax._src.compat.lr_decay import LearningRateSchedule as LearningRateSchedule
from scopejax._src.compat.lr_decay import cosine_decay as cosine_decay
from scopejax._src.compat.lr_decay import cosine_decay_restarts as cosine_decay_restarts
from scopejax._src.compat.lr_decay import exponential_decay as exponential_decay
from scopejax._src.compat.lr_decay import inverse_time_decay as inverse_time_decay
from scopejax._src.compat.lr_decay import linear_cosine_decay as linear_cosine_decay
from scopejax._src.compat.lr_decay import natural_exp_decay as natural_exp_decay
from scopejax._src.compat.lr_decay import piecewise_constant as piecewise_constant
from scopejax._src.compat.lr_decay import piecewise_constant_decay as piecewise_constant_decay
from scopejax._src.compat.lr_decay import polynomial_decay as polynomial_decay
from scopejax._src.compat.saver import CheckpointState as CheckpointState
from scopejax._src.compat.saver import Saver as Saver
from scopejax._src.compat.saver import checkpoint_exists as checkpoint_exists
from scopejax._src.compat.saver import get_checkpoint_state as get_checkpoint_state
from scopejax._src.compat.saver import global_step as global_step
from scopejax._src.compat.saver import latest_checkpoint as latest_checkpoint
from scopejax._src.compat.saver import list_variables as list_variables
from scopejax._src.compat.saver import load_variable as load_variable
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
