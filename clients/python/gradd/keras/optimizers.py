"""tf.keras.optimizers: SGD (with momentum, Nesterov) and Adam (with AMSGrad), Keras 3's rules.

An update is a few ops and assign/assign_add/assign_sub steps queued in the session, so
`optimizer.apply_gradients(zip(grads, variables))` costs no round trip: a training step is
still one Run, sent when a value is needed (printing the loss). The optimizer's own state is
gradd Variables, like Keras': `iterations` (int64), `learning_rate` (float32) and the slots
(momentum, velocity) created on the first apply, in the session of the variables they follow.

The update rules are Keras 3's as shipped with TensorFlow 2.21 (keras/src/optimizers/), op for
op, so the float32 results match TensorFlow's: e.g. Adam's step size is computed from the
iteration count on the server (`lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`), as Keras does.
"""
import re
import warnings

import numpy as np

from .. import _ops
from .._tape import GradientTape
from .._tensor import Tensor, Variable, _Ops

_names = {}


def _auto_name(cls_name):
    base = "".join("_" + c.lower() if c.isupper() and i and not cls_name[i - 1].isupper()
                   else c.lower() for i, c in enumerate(cls_name))
    n = _names.get(base, 0)
    _names[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _as(x, dtype):
    """`x` as a tensor of `dtype` (keras ops.cast): kept as it is when it already is one (a
    variable too: no Identity op), a Python number becomes a constant. tf.cast converts a
    Python float to float32 first: Adam's beta_1=0.9 on a float64 variable is float32(0.9)."""
    if isinstance(x, _Ops):
        return x if x._dtype is dtype else _ops.cast(x, dtype)
    if type(x) is float:
        x = np.float32(x)
    return Tensor._local(np.asarray(x, dtype=dtype.as_numpy_dtype))


def _index(variables, v):
    """The index of `v` by identity (list.index compares with ==, elementwise here)."""
    return next(i for i, x in enumerate(variables) if x is v)


class Optimizer:
    """The Keras 3 optimizer protocol: apply_gradients / apply, build, iterations,
    learning_rate, variables; subclasses define build() (their slots) and update_step()."""

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if use_ema:
            raise NotImplementedError("gradd's optimizers do not support use_ema")
        if gradient_accumulation_steps:
            raise NotImplementedError("gradd's optimizers do not support "
                                      "gradient_accumulation_steps")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.name = name or _auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._indices = {}  # id(model variable) -> its index in _trainable_variables
        self._exclude_ids, self._exclude_pattern = set(), None
        self._step_cache = None
        self._iterations = Variable(np.int64(0), trainable=False, name="iteration")
        self._variables.append(self._iterations)
        if callable(learning_rate):
            self._learning_rate = learning_rate
        elif not isinstance(learning_rate, float):
            raise ValueError("Argument `learning_rate` should be float, or an instance of "
                             "LearningRateSchedule, or a callable (that takes in the current "
                             "iteration value and returns the corresponding learning rate "
                             f"value). Received instead: learning_rate={learning_rate}")
        else:
            self._learning_rate = Variable(np.float32(learning_rate), trainable=False,
                                           name="learning_rate")
            self._variables.append(self._learning_rate)

    # -- state ----------------------------------------------------------------------------------

    @property
    def iterations(self):
        """The number of applied steps: an int64 Variable (its value is cached client-side, so
        `int(opt.iterations)` costs no round trip)."""
        return self._iterations

    @property
    def learning_rate(self):
        """A float32 Variable (float() it), or what the callable given returns."""
        lr = self._learning_rate
        return lr if isinstance(lr, Variable) else lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value) and not isinstance(value, _Ops):
            if isinstance(self._learning_rate, Variable):
                del self._variables[_index(self._variables, self._learning_rate)]
            self._learning_rate = value
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(value)  # queued: takes effect from the next update
        else:
            self._learning_rate = Variable(np.float32(value), trainable=False,
                                           name="learning_rate")
            self._variables.insert(1, self._learning_rate)

    @property
    def variables(self):
        return self._variables[:]

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A zeros slot shaped like `reference_variable`, in its session; not trainable."""
        if initializer != "zeros":
            raise NotImplementedError("gradd's optimizer slots start at zeros")
        ref_name = str(reference_variable.name).replace("/", "_").replace(":", "_")
        with reference_variable.session.as_default():
            v = Variable(np.zeros(tuple(reference_variable.shape),
                                  dtype=reference_variable.dtype.as_numpy_dtype),
                         trainable=False, name=f"{ref_name}_{name or 'var'}")
        self._variables.append(v)
        return v

    def add_optimizer_variables(self, trainable_variables, name):
        """One slot per variable per name; several names interleave (m0, v0, m1, v1), as in
        Keras, and then come back as a tuple of lists."""
        names = [name] if isinstance(name, str) else list(name)
        out = tuple([] for _ in names)
        for v in trainable_variables:
            for i, n in enumerate(names):
                out[i].append(self.add_variable_from_reference(v, n))
        return out[0] if isinstance(name, str) else out

    def build(self, variables):
        """Records the variables this optimizer trains (and creates its slots for them)."""
        variables = list(variables)
        for v in variables:
            if not isinstance(v, Variable):
                raise TypeError(f"an optimizer updates gradd.Variables; got {type(v).__name__}")
        sessions = {id(v.session): v.session for v in variables}
        if len(sessions) > 1:
            raise ValueError("an optimizer cannot train variables of different gradd sessions")
        if sessions:
            self._move_state_to(next(iter(sessions.values())))
        for i, v in enumerate(variables):
            self._indices[id(v)] = i
        self._trainable_variables = variables[:]
        self.built = True

    def _move_state_to(self, session):
        """iterations and learning_rate were created in the default session of the time; when
        the variables live in another one, they move there (values cached: no round trip)."""
        for attr in ("_iterations", "_learning_rate"):
            old = getattr(self, attr)
            if isinstance(old, Variable) and old.session is not session:
                with session.as_default():
                    new = Variable(old.numpy(), trainable=False, name=old.name)
                self._variables[_index(self._variables, old)] = new
                setattr(self, attr, new)

    def _get_variable_index(self, variable):
        return self._indices[id(variable)]

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    # -- applying gradients ---------------------------------------------------------------------

    def apply_gradients(self, grads_and_vars):
        """Applies (gradient, variable) pairs, e.g. `zip(grads, model.trainable_variables)`;
        pairs with a None gradient are skipped with a warning. Returns `iterations`."""
        grads, trainable_variables = zip(*grads_and_vars)
        self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first. ")
            if len(grads) != len(self._indices):
                raise ValueError("When passing `grads` as a list of gradient tensors, the "
                                 "gradients must match `optimizer.variables` one-to-on. "
                                 f"Received a list of {len(grads)} gradients, but the "
                                 f"optimizer is tracking {len(self._trainable_variables)} "
                                 "trainable variables.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
            for v in trainable_variables:
                if id(v) not in self._indices:
                    raise ValueError(f"Unknown variable: {v}. This optimizer can only be "
                                     "called for the variables it was originally built with. "
                                     "When working with a new set of variables, you should "
                                     "recreate a new optimizer instance.")
        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(trainable_variables)
        learning_rate = self.learning_rate
        self._step_cache = {}  # per-dtype values shared by the variables of one apply
        try:
            for g, v in zip(grads, trainable_variables):
                self.update_step(g, v, learning_rate)
        finally:
            self._step_cache = None
        self._iterations.assign_add(np.int64(1))

    def _filter_empty_gradients(self, grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        missing = [getattr(v, "path", v.name) for g, v in zip(grads, variables) if g is None]
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a "
                          "`loss` argument?", stacklevel=3)
        return [g for g, _ in kept], [v for _, v in kept]

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            norm = _ops.sqrt(_ops.reduce_sum(_ops.stack(
                [_ops.reduce_sum(_ops.square(g)) for g in grads])))
            c = self.global_clipnorm
            # A finite norm scales by min(1, c / norm); a NaN or infinite one makes it NaN.
            scale = c * _ops.minimum(1.0 / norm, 1.0 / c) + (norm - norm)
            return [g * scale for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [_ops.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _clip_by_norm(self, values):
        # Keras' two-where form: no NaN gradient through sqrt(0).
        l2sum = _ops.reduce_sum(_ops.square(values), keepdims=True)
        pred = l2sum > 0
        l2sum_safe = _ops.where(pred, l2sum, _ops.ones_like(l2sum))
        l2norm = _ops.where(pred, _ops.sqrt(l2sum_safe), l2sum)
        return (values * self.clipnorm) / _ops.maximum(l2norm, self.clipnorm)

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        for v in variables:
            if id(v) in self._exclude_ids or (
                    self._exclude_pattern is not None and self._exclude_pattern.search(v.name)):
                continue
            lr = _as(self.learning_rate, v.dtype)
            wd = _as(self.weight_decay, v.dtype)
            v.assign(v - v * wd * lr)

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError

    def scale_loss(self, loss):
        """The loss times loss_scale_factor, if set (the gradients are divided back)."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # -- tf.keras 2's minimize (Keras 3 has no such method; kept for TF 2 code) ----------------

    def minimize(self, loss, var_list, tape=None):
        """Computes the gradients of `loss` (a callable, or a tensor with the `tape` that
        recorded it) for `var_list` (or a callable returning it) and applies them."""
        if not callable(loss) and tape is None:
            raise ValueError("`tape` is required when a `Tensor` loss is passed. Received: "
                             f"loss={loss}, tape={tape}.")
        if tape is None:
            tape = GradientTape()
        if callable(loss):
            with tape:
                if not callable(var_list):
                    tape.watch(var_list)
                loss = loss()
                if callable(var_list):
                    var_list = var_list()
        elif callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        grads = tape.gradient(loss, var_list)
        return self.apply_gradients(zip(grads, var_list))


class SGD(Optimizer):
    """w -= lr * g; with momentum: m = momentum * m - lr * g, then w += m (Nesterov:
    w += momentum * m - lr * g)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov
        self.momentums = []

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        learning_rate = _as(learning_rate, dtype)
        gradient = _as(gradient, dtype)
        if self.momentum != 0:
            m = self.momentums[self._get_variable_index(variable)]
            momentum = _as(self.momentum, dtype)
            m.assign(m * momentum - gradient * learning_rate)
            if self.nesterov:
                variable.assign_add(m * momentum - gradient * learning_rate)
            else:
                variable.assign_add(m)
        else:
            variable.assign_sub(gradient * learning_rate)


class Adam(Optimizer):
    """m += (g - m) * (1 - beta_1); v += (g^2 - v) * (1 - beta_2);
    w -= m * alpha / (sqrt(v) + epsilon), alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t);
    AMSGrad divides by the running maximum of v instead."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _alpha(self, learning_rate, dtype):
        """The bias-corrected step size, from the iteration count before this apply's
        increment (queued before it); once per dtype per apply."""
        cache = self._step_cache if self._step_cache is not None else {}
        alpha = cache.get(dtype)
        if alpha is None:
            lr = _as(learning_rate, dtype)
            local_step = _ops.cast(self._iterations + 1, dtype)
            beta_1_power = _ops.pow(_as(self.beta_1, dtype), local_step)
            beta_2_power = _ops.pow(_as(self.beta_2, dtype), local_step)
            alpha = cache[dtype] = lr * _ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        return alpha

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = _as(gradient, dtype)
        alpha = self._alpha(learning_rate, dtype)
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        m.assign_add((gradient - m) * (1 - self.beta_1))
        v.assign_add((_ops.square(gradient) - v) * (1 - self.beta_2))
        if self.amsgrad:
            v_hat = self._velocity_hats[i]
            v_hat.assign(_ops.maximum(v_hat, v))
            v = v_hat
        variable.assign_sub((m * alpha) / (_ops.sqrt(v) + self.epsilon))


_BY_NAME = {"sgd": SGD, "adam": Adam}


def get(identifier):
    """An optimizer from a name ('sgd', 'adam', any case) or an instance (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is not None:
            return cls()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")


__all__ = ["Optimizer", "SGD", "Adam", "get"]
