"""tf.print: inputs formatted as TensorFlow does, tensors summarized like its PrintV2 kernel
(`[[1 2]\\n [3 4]]`, `[0 1 2 ... 7 8 9]`, floats in the shortest of %.6g/%.9g that reads back,
bools as 1/0), Python values and structures with pprint, strings as they are.

Unlike TensorFlow, whose kernel writes to the process's file descriptors, sys.stdout and
sys.stderr mean Python's current streams: the text lands in a notebook, and under
contextlib.redirect_stdout or pytest's capture. All the tensors printed by one call are
fetched in one Run.
"""
import logging
import pprint
import sys

import numpy as np

from ._nest import _flatten, _pack
from ._tensor import _Ops, fetch

__all__ = ["print"]

_DEFAULT_STREAM = sys.stderr
_LOGGING = {logging.INFO: logging.INFO, logging.info: logging.INFO,
            logging.WARNING: logging.WARNING, logging.warning: logging.WARNING,
            logging.warn: logging.WARNING, logging.ERROR: logging.ERROR,
            logging.error: logging.ERROR}


def print(*inputs, output_stream=sys.stderr, sep=" ", end="\n", summarize=3,  # noqa: A001
          name=None):
    """Prints `inputs` joined by `sep`, then `end`, to `output_stream`: sys.stderr (the
    default) or sys.stdout (the streams current at the call), any object with write(), a
    logging level or function (logging.INFO, logging.warning, ...), or "file://path" (appended
    to). `summarize` elements are shown at each end of every dimension (None: 3; -1: all)."""
    write = _writer(output_stream)
    summarize = 3 if summarize is None else int(summarize)
    # TensorFlow's template: each input formatted with pprint, tensors replaced by a
    # placeholder that the rest of the text does not contain ("{}" unless it does).
    free = " ".join(pprint.pformat(_pack(s, ["" if isinstance(v, _Ops) else v for v in leaves]))
                    for leaves, s in map(_flatten, inputs))
    placeholder = "{}"
    while placeholder in free:
        placeholder += "_"
    templates, tensors = [], []
    for x in inputs:
        if isinstance(x, str):
            templates.append(x)
            continue
        leaves, structure = _flatten(x)
        tensors += [v for v in leaves if isinstance(v, _Ops)]
        templates.append(pprint.pformat(_pack(structure, [
            placeholder if isinstance(v, _Ops) else v for v in leaves])))
    template = sep.join(templates).replace(f"'{placeholder}'", placeholder)
    fetch(tensors)
    parts = template.split(placeholder)
    text = [parts[0]]
    for t, part in zip(tensors, parts[1:]):
        text += [summarize_value(np.asarray(t.numpy()), summarize), part]
    write("".join(text) + end)


def _writer(stream):
    if stream is _DEFAULT_STREAM or stream is sys.__stderr__:
        return _stream_writer(sys.stderr)
    if stream is sys.__stdout__:
        return _stream_writer(sys.stdout)
    if hasattr(stream, "write"):
        return _stream_writer(stream)
    if isinstance(stream, str) and stream.startswith("file://"):
        def to_file(s, path=stream[len("file://"):]):
            with open(path, "a") as f:
                f.write(s)
        return to_file
    try:
        level = _LOGGING.get(stream)
    except TypeError:  # unhashable
        level = None
    if level is not None:
        return lambda s: logging.log(level, s[:-1] if s.endswith("\n") else s)
    raise ValueError(f"Unsupported output stream, logging level, or file.{stream}. Supported "
                     "streams are sys.stdout, sys.stderr, tf.logging.info, tf.logging.warning, "
                     "tf.logging.error. File needs to be in the form of 'file://<filepath>'.")


def _stream_writer(stream):
    def write(s):
        stream.write(s)
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()
    return write


def summarize_value(v, summarize=3):
    """The text of numpy value `v` as TensorFlow's Tensor::SummarizeValue(summarize,
    print_v2=true) makes it: `summarize` elements at each end of every dimension (all when
    negative), the rest as `...`."""
    fmt = _element_format(v.dtype)
    limit = v.size if summarize < 0 else min(summarize, v.size)
    if v.ndim == 0:
        return (fmt(v[()]) if limit else "") + ("..." if v.size > limit else "")
    out = []
    _one_dim(v, limit, fmt, 0, v.ndim, out)
    return "".join(out)


def _one_dim(a, n, fmt, dim, ndim, out):
    if dim == ndim:
        out.append(fmt(a[()]))
        return
    out.append("[")
    count = a.shape[0]
    for i in range(min(n, count)):
        if i:
            _spacing(dim, ndim, out)
        _one_dim(a[i], n, fmt, dim + 1, ndim, out)
    if count > 2 * n:
        _spacing(dim, ndim, out)
        out.append("...")
    for i in range(max(n, count - n), count):
        _spacing(dim, ndim, out)
        _one_dim(a[i], n, fmt, dim + 1, ndim, out)
    out.append("]")


def _spacing(dim, ndim, out):
    # A space between elements of the innermost dimension; between rows, a newline per
    # dimension below and an indent of the depth.
    out.append(" " if dim == ndim - 1 else "\n" * (ndim - dim - 1) + " " * (dim + 1))


def _element_format(dtype):
    if dtype.kind == "b":
        return lambda x: "1" if x else "0"
    if dtype.kind == "f":
        # TensorFlow's FloatToBuffer/DoubleToBuffer: the short form when it reads back.
        short, full, typ = ("%.6g", "%.9g", np.float32) if dtype.itemsize <= 4 else \
            ("%.15g", "%.17g", np.float64)

        tiny = np.finfo(typ).tiny

        def fmt(x):
            if np.isnan(x):
                return "-nan" if np.signbit(x) else "nan"
            if 0 < abs(x) < tiny:  # TensorFlow's kernels flush denormals to zero
                x = typ(-0.0 if x < 0 else 0.0)
            s = short % x
            return s if typ(s) == x else full % x
        return fmt
    if dtype.kind in "iu":
        return lambda x: str(int(x))
    return str
