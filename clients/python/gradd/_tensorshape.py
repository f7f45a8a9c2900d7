"""TensorShape: a tuple of dimensions (None where unknown) with TensorFlow's methods and
printed form."""


class TensorShape(tuple):
    """A shape; prints as `(3, 2)` like TensorFlow's and compares equal to lists and tuples."""

    def __new__(cls, dims=()):
        return super().__new__(cls, tuple(None if d is None else int(d) for d in dims))

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)

    ndims = rank

    def num_elements(self):
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, key):
        # A slice is a shape again (TensorFlow's `x.shape[1:].as_list()`); an index is a dim.
        dims = tuple.__getitem__(self, key)
        return TensorShape(dims) if isinstance(key, slice) else dims

    def __add__(self, other):
        return TensorShape(tuple(self) + tuple(other))

    def __radd__(self, other):
        return TensorShape(tuple(other) + tuple(self))

    def __eq__(self, other):
        try:
            return tuple(self) == tuple(other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    __hash__ = tuple.__hash__

    def __str__(self):
        return tuple.__repr__(self)

    def __repr__(self):
        return f"TensorShape({list(self)})"
