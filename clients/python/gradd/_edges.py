"""Which recorded edges carry a gradient, for the tape mirror's connectivity check (see
_tape.py): per op, whether a gradient flows from an output back to an input. The op sets
follow the server's op table (`gradd ops`)."""


_NO_GRADIENT = {"StopGradient", "Greater", "Less", "GreaterEqual", "LessEqual", "Equal", "ArgMax",
                "OneHot", "Floor", "FloorDiv", "Ceil", "Round", "NotEqual", "LogicalAnd",
                "LogicalOr", "LogicalNot"}
_DIFFERENTIABLE = {
    "AddV2", "Sub", "Mul", "RealDiv", "DivNoNan", "FloorMod", "Sign", "Pow", "Maximum", "Minimum",
    "SquaredDifference", "Identity", "Neg", "Square", "Sqrt", "Rsqrt", "Reciprocal", "Exp", "Log",
    "Log1p", "Abs", "Sin", "Cos", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "Softplus",
    "MatMul", "BatchMatMulV2", "Sum", "Mean", "Max", "Min", "Prod", "Cumsum", "Cumprod", "Reshape",
    "Transpose", "ExpandDims", "Squeeze", "ConcatV2", "Pack", "Slice", "GatherV2", "Tile",
    "BroadcastTo", "BiasAdd", "Softmax", "LogSoftmax", "SoftmaxCrossEntropyWithLogits",
    "SparseSoftmaxCrossEntropyWithLogits", "Cast", "SelectV2", "Tan", "Atan", "Asin", "Acos",
    "Sinh", "Cosh", "Expm1", "Erf", "Erfc",
}
_NO_GRADIENT_INPUT = {("SelectV2", 0), ("GatherV2", 1), ("SparseSoftmaxCrossEntropyWithLogits", 1)}


def _edge(op, i, j, in_dtype, out_dtype):
    """Whether a gradient flows from output j of `op` to its input i: True, False or None
    (cannot tell)."""
    if in_dtype is None or out_dtype is None:
        return None
    if not in_dtype.is_floating or not out_dtype.is_floating:
        return False  # gradients of integer (and boolean) tensors are None
    e = _OP_EDGE.get(op)
    if e is False or (e is _SOME_INPUTS and (op, i) in _NO_GRADIENT_INPUT):
        return False
    if j > 0:
        return None  # secondary outputs (the cross-entropy backprop)
    return e is not None or None


# Per op: False (no gradient), True (differentiable), _SOME_INPUTS (differentiable, but not
# for the inputs in _NO_GRADIENT_INPUT) or absent (cannot tell). One lookup per edge.
_SOME_INPUTS = "some inputs"
_OP_EDGE = {**{op: True for op in _DIFFERENTIABLE}, **{op: False for op in _NO_GRADIENT},
            **{op: _SOME_INPUTS for op, _ in _NO_GRADIENT_INPUT}}
