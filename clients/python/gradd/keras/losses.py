"""tf.keras.losses: the regression and crossentropy losses, with Keras 3's numerics.

Everything is composed from gradd ops, so a loss is queued like any other computation (no
round trip) and its gradient flows. The formulas follow Keras 3 as shipped with TensorFlow 2.21
(keras/src/losses/ and keras/src/backend/tensorflow/nn.py), step by step, because the order of
the float32 operations decides the last bits: probabilities are clipped to [1e-7, 1 - 1e-7]
before their log, a 'sum_over_batch_size' reduction is a sum divided by the element count (not
a mean), and a sigmoid/softmax output of keras.activations is replaced by its logits.
"""
import warnings

import numpy as np

from .. import _dtypes, _ops
from .._tensor import Tensor, _Ops, convert_to_tensor
from . import activations

EPSILON = 1e-7  # keras.backend.epsilon()

_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


# -- helpers ------------------------------------------------------------------------------------

def _tensor(x, dtype=None):
    """keras.ops.convert_to_tensor: a tensor of another dtype is cast, a tensor or variable of
    that dtype is kept as it is (so the logits remembered for it are found)."""
    if isinstance(x, _Ops):
        if dtype is None:
            return x
        dtype = _dtypes.as_dtype(dtype)
        return x if x._dtype is dtype else _ops.cast(x, dtype)
    if dtype is None:
        return convert_to_tensor(x)
    return Tensor._local(np.asarray(x, dtype=_dtypes.as_dtype(dtype).as_numpy_dtype))


def _rank(x):
    return len(x.shape)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeezes or expands the last axis of one when the ranks differ by exactly 1."""
    r1, r2 = _rank(x1), _rank(x2)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = _ops.expand_dims(x2, -1)
        else:
            x1 = _ops.squeeze(x1, axis=-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = _ops.expand_dims(x1, -1)
        else:
            x2 = _ops.squeeze(x2, axis=-1)
    return x1, x2


def _standardize_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError("Invalid value for argument `reduction`. Expected one of "
                         f"{set(_REDUCTIONS)}. Received: reduction={reduction}")
    return reduction


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Keras' reduction: a sum, divided (divide_no_nan) by the number of elements or by the sum
    of the sample weights. Scalars and empty vectors are returned as they are."""
    shape = tuple(values.shape)
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    loss = _ops.reduce_sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = _ops.cast(_ops.reduce_sum(sample_weight), loss.dtype)
        else:
            divisor = Tensor._local(np.array(np.prod(shape, dtype=np.int64),
                                             dtype=loss.dtype.as_numpy_dtype))
        loss = _ops.divide_no_nan(loss, divisor)
    return loss


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size",
                           dtype=None):
    reduction = _standardize_reduction(reduction)
    values = _tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = _ops.cast(_tensor(sample_weight, dtype), values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def _check_same_shape(target, output, rank_too=True):
    if rank_too and _rank(target) != _rank(output):
        raise ValueError("Arguments `target` and `output` must have the same rank (ndim). "
                         f"Received: target.shape={target.shape}, output.shape={output.shape}")
    for a, b in zip(target.shape, output.shape):
        if a is not None and b is not None and a != b:
            raise ValueError("Arguments `target` and `output` must have the same shape. "
                             f"Received: target.shape={target.shape}, "
                             f"output.shape={output.shape}")


def _get_logits(output, from_logits, op_type, fn_name):
    """The logits behind a keras.activations sigmoid/softmax output (then from_logits), as
    Keras' TensorFlow backend does; Keras warns when from_logits=True was given for one."""
    logits = activations.keras_logits(output)
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f'"`{fn_name}` received `from_logits=True`, but the `output` argument '
                      f"was produced by a {op_type} activation and thus does not represent "
                      "logits. Was this intended?", stacklevel=3)
    return logits, True


def _sigmoid_cross_entropy_with_logits(labels, logits):
    """tf.nn.sigmoid_cross_entropy_with_logits, with TensorFlow's ops (its gradient at 0 too):
    max(x, 0) - x * z + log(1 + exp(-|x|))."""
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(f"`logits` and `labels` must have the same shape, received "
                         f"({logits.shape} vs {labels.shape}).")
    zeros = _ops.zeros_like(logits)
    cond = logits >= zeros
    relu_logits = _ops.where(cond, logits, zeros)
    neg_abs_logits = _ops.where(cond, -logits, logits)
    return _ops.add(relu_logits - logits * labels, _ops.log1p(_ops.exp(neg_abs_logits)))


def _check_axis(axis, y_pred):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type "
                         f"{type(axis)}")
    if axis not in (-1, _rank(y_pred) - 1):
        raise NotImplementedError("gradd's crossentropy losses support axis=-1 only")


# -- the loss functions (per-sample values, no reduction) ----------------------------------------

def mean_squared_error(y_true, y_pred):
    """mean(square(y_true - y_pred), axis=-1)."""
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _ops.reduce_mean(_ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_true - y_pred), axis=-1)."""
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _ops.reduce_mean(_ops.abs(y_true - y_pred), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean over `axis` of -(z log p + (1 - z) log(1 - p)), p clipped to [1e-7, 1 - 1e-7]; from
    logits: TensorFlow's sigmoid_cross_entropy_with_logits."""
    y_pred = _tensor(y_pred)
    y_true = _ops.cast(_tensor(y_true), y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    _check_same_shape(y_true, y_pred)
    output, from_logits = _get_logits(y_pred, from_logits, "Sigmoid", "binary_crossentropy")
    if from_logits:
        bce = _sigmoid_cross_entropy_with_logits(y_true, output)
    else:
        output = _ops.clip_by_value(output, EPSILON, 1.0 - EPSILON)
        bce = y_true * _ops.log(output)
        bce = bce + (1 - y_true) * _ops.log(1 - output)
        bce = -bce
    return _ops.reduce_mean(bce, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y_true * log(p), axis) with p renormalized to sum 1 and clipped to
    [1e-7, 1 - 1e-7]; from logits: softmax_cross_entropy_with_logits."""
    y_pred = _tensor(y_pred)
    _check_axis(axis, y_pred)
    y_true = _ops.cast(_tensor(y_true), y_pred.dtype)
    if y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be "
                      "(batch_size, num_classes) with num_classes > 1. Received: "
                      f"y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' if "
                      "you only have 2 classes.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        # Keras divides by the class count as a tensor: in the loss dtype, not in float64.
        dt = y_pred.dtype.as_numpy_dtype
        share = np.asarray(label_smoothing, dt) / np.asarray(y_true.shape[-1], dt)
        y_true = y_true * (1.0 - label_smoothing) + Tensor._local(np.asarray(share, dt))
    if _rank(y_true) < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={y_true.shape}, output.shape={y_pred.shape}")
    _check_same_shape(y_true, y_pred)
    output, from_logits = _get_logits(y_pred, from_logits, "Softmax", "categorical_crossentropy")
    if from_logits:
        return _ops.softmax_cross_entropy_with_logits(labels=y_true, logits=output)
    output = output / _ops.reduce_sum(output, axis, keepdims=True)
    output = _ops.clip_by_value(output, EPSILON, 1.0 - EPSILON)
    return -_ops.reduce_sum(y_true * _ops.log(output), axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Crossentropy with integer labels: the fused sparse_softmax_cross_entropy_with_logits,
    on log(clip(p, 1e-7, 1 - 1e-7)) for probabilities."""
    if ignore_class is not None:
        raise NotImplementedError("gradd's sparse_categorical_crossentropy does not support "
                                  "ignore_class (it needs Keras' loss masks)")
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true)
    if axis != -1 and axis != _rank(y_pred) - 1:
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    if _rank(y_true) == _rank(y_pred) and y_true.shape[axis] == 1:
        y_true = _ops.squeeze(y_true, axis=axis)
    output, from_logits = _get_logits(y_pred, from_logits, "Softmax",
                                      "sparse_categorical_crossentropy")
    target = _ops.cast(y_true, _dtypes.int64)
    if _rank(target) == _rank(output) and target.shape[-1] == 1:
        target = _ops.squeeze(target, axis=-1)
    if _rank(output) < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: "
                         f"output.shape={output.shape}")
    if _rank(target) != _rank(output) - 1:
        raise ValueError("Argument `output` must have rank (ndim) `target.ndim - 1`. "
                         f"Received: target.shape={target.shape}, output.shape={output.shape}")
    for a, b in zip(target.shape, output.shape[:-1]):
        if a is not None and b is not None and a != b:
            raise ValueError("Arguments `target` and `output` must have the same shape up "
                             f"until the last dimension: target.shape={target.shape}, "
                             f"output.shape={output.shape}")
    if not from_logits:
        output = _ops.log(_ops.clip_by_value(output, EPSILON, 1 - EPSILON))
    return _ops.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)


# tf.keras.losses' short aliases (tf.keras has these, keras 3 the long names: gradd has both)
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


# -- the Loss classes ------------------------------------------------------------------------------

_names = {}


def _auto_name(base):
    n = _names.get(base, 0)
    _names[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class Loss:
    """Subclass and implement `call(y_true, y_pred)` (per-sample values); calling the loss
    converts both to its dtype (float32 by default), then weights and reduces the values."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _auto_name(_snake(type(self).__name__))
        self.reduction = _standardize_reduction(reduction)
        self._dtype = _dtypes.as_dtype(dtype or "float32").name

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred, self._dtype)
        y_true = _tensor(y_true, self._dtype)
        losses = self.call(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight=sample_weight,
                                      reduction=self.reduction, dtype=self._dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class LossFunctionWrapper(Loss):
    """A Loss calling `fn(y_true, y_pred, **kwargs)` after matching their ranks."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        if ignore_class is not None:
            raise NotImplementedError("gradd's SparseCategoricalCrossentropy does not support "
                                      "ignore_class (it needs Keras' loss masks)")
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class


_CLASSES = (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy)
_FUNCTIONS = {f.__name__: f for f in (mean_squared_error, mean_absolute_error,
                                      binary_crossentropy, categorical_crossentropy,
                                      sparse_categorical_crossentropy)}
_FUNCTIONS.update({"mse": mean_squared_error, "MSE": mean_squared_error,
                   "mae": mean_absolute_error, "MAE": mean_absolute_error})


def get(identifier):
    """A loss from a function name ('mse', 'binary_crossentropy': the function), a class name
    ('MeanSquaredError': an instance), a Loss or a callable; None stays None."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        obj = _FUNCTIONS.get(identifier) or {c.__name__: c for c in _CLASSES}.get(identifier)
    else:
        obj = identifier
    if isinstance(obj, type) and issubclass(obj, Loss):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier}")
