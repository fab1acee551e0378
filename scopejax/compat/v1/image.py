"""``tf.image``: TF1's resize ops (bilinear and nearest neighbour, TF1's pixel grid)."""

# ruff: noqa: F401
from scopejax._src.compat.extra_ops import ResizeMethod as ResizeMethod
from scopejax._src.compat.extra_ops import resize_bilinear as resize_bilinear
from scopejax._src.compat.extra_ops import resize_images as resize_images
from scopejax._src.compat.extra_ops import resize_nearest_neighbor as resize_nearest_neighbor
