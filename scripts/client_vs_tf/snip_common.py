"""What the snippet modules share: the registry of cases, wrappers that limit what is compared,
and the numpy inputs both runs start from."""
import argparse
import contextlib
import io
import json
import os
import re
import sys
import traceback
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))

CASES = []


def case(fn=None, *, name=None):
    """Registers a snippet `fn(tf)`; its return value (and stdout) is what is compared."""
    def reg(f):
        CASES.append((name or f.__name__, f))
        return f
    return reg(fn) if fn is not None else reg


class Meta:
    """Compare only shape and dtype (random values)."""

    def __init__(self, x):
        self.x = x


class NoRepr:
    """Compare value/shape/dtype but not str/repr (e.g. objects whose repr is not specified)."""

    def __init__(self, x):
        self.x = x


# Inputs shared by both runs (numpy, so each side converts them itself).
A32 = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], dtype=np.float32)
B32 = np.array([[0.2, 1.0], [-1.0, 0.5], [2.0, -0.3]], dtype=np.float32)
V3 = np.array([0.3, -1.2, 2.5], dtype=np.float32)
POS = np.array([[0.5, 1.0, 2.0], [3.0, 0.25, 4.0]], dtype=np.float32)
A64 = A32.astype(np.float64)
POS64 = POS.astype(np.float64)
W_SEED = np.array([[-0.37, -0.26], [0.94, 1.39], [-1.42, 0.07]], dtype=np.float32)
