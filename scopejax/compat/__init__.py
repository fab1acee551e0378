"""TF1-shaped namespaces over scopejax: ``import scopejax.compat.v1 as tf``.

See :mod:`scopejax.compat.v1`.
"""

from scopejax.compat import v1 as v1
