"""tf.math: the elementwise and reduction functions."""
from ._ops import (abs, add, add_n, argmax, cos, cumprod, cumsum, divide,  # noqa: F401
                   divide_no_nan, equal, exp, floor, floordiv, floormod, greater, mod, sign,
                   greater_equal, less, less_equal, log, log1p, maximum, minimum, multiply,
                   negative, pow, reciprocal, reduce_max, reduce_mean, reduce_min,
                   reduce_prod, reduce_sum, rsqrt, sigmoid, sin, softplus, sqrt, square,
                   squared_difference, subtract, tanh, truediv)
from ._ops import log_softmax, softmax  # noqa: F401
from ._more import reduce_std, reduce_variance  # noqa: F401,E402
from ._math2 import (acos, asin, atan, ceil, cosh, erf, erfc, expm1, logical_and,  # noqa: F401,E402
                     logical_not, logical_or, logical_xor, not_equal, round, sinh, tan)
