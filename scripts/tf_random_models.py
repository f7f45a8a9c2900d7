"""Random whole models recorded from real TensorFlow, in the conformance format: the ops of
the conformance table composed the way users build networks, trained for a few SGD steps.

    .venv-bench/bin/python scripts/tf_random_models.py SEED [N] > /tmp/models.json
    target/release/gradd conformance /tmp/models.json

Each model picks layers at random: embeddings (GatherV2 with repeated ids), dense layers with
any activation, layer norm (Mean/SquaredDifference/Rsqrt), single-head attention
(BatchMatMulV2, Transpose, Softmax), residual sums, ConcatV2/Slice/Tile/Reshape plumbing, a
dropout-style SelectV2 mask, max/mean pooling. The loss is one of sparse or dense softmax
cross-entropy, mean squared error or log-softmax NLL, sometimes plus an L2 penalty. Each of
three steps records the loss, every variable's gradient (with `unconnected` zero for a variable
the loss never reads) and the assign_sub updates; the last step checks every variable. Needs
tensorflow (see the README's performance section for the venv).
"""
import json, sys, numpy as np, tensorflow as tf

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 8
R = tf.raw_ops
DT = {np.float32: "float32", np.float64: "float64", np.int32: "int32", np.int64: "int64", np.bool_: "bool"}


def T(a):
    a = np.asarray(a)
    return {"dtype": DT[a.dtype.type], "shape": list(a.shape), "values": a.reshape(-1).tolist()}


class Prog:
    """Builds one program: every op runs in TensorFlow and is recorded as a step."""

    def __init__(self, dt):
        self.dt, self.steps, self.env, self.vars, self.n = dt, [], {}, {}, 0
        self.frozen = False

    def arr(self, s, lo=-1.0, hi=1.0):
        return rng.uniform(lo, hi, size=s).astype(self.dt)

    def var(self, name, value):
        """A variable, created (and recorded) on the first forward pass only."""
        if self.frozen:
            return name
        self.vars[name] = tf.Variable(value)
        self.env[name] = self.vars[name]
        self.steps.append({"variable": name, "value": T(value), "trainable": True})
        return name

    def const(self, name, value):
        self.env[name] = tf.constant(value)
        self.steps.append({"constant": name, "value": T(value)})
        return name

    def op(self, op, inputs, attrs=None, nout=1, **tf_kw):
        """Runs raw op `op` (TensorFlow keyword args in tf_kw, with refs for tensors given as
        names) and records it; returns the output names."""
        kw = {k: (self.env[v] if isinstance(v, str) and v in self.env else
                  [self.env[x] for x in v] if isinstance(v, list) and v and isinstance(v[0], str) else v)
              for k, v in tf_kw.items()}
        ys = getattr(R, op)(**kw)
        ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
        outs = []
        for j in range(nout):
            self.n += 1
            name = f"t{self.n}"
            self.env[name] = ys[j]
            outs.append(name)
        st = {"op": op, "inputs": inputs, "outputs": outs}
        if attrs:
            st["attrs"] = attrs
        self.steps.append(st)
        return outs if nout > 1 else outs[0]

    def shape(self, name):
        return tuple(self.env[name].shape)


ACTS = ["Relu", "Tanh", "Sigmoid", "Elu", "Softplus", "LeakyRelu", None]


def act(p, x, kind):
    if kind is None:
        return x
    if kind == "LeakyRelu":
        return p.op("LeakyRelu", [x], {"alpha": 0.1}, features=x, alpha=0.1)
    key = "features" if kind in ("Relu", "Elu", "Softplus") else "x"
    return p.op(kind, [x], **{key: x})


def dense(p, x, units, kind, prefix):
    d = p.shape(x)[-1]
    w = p.var(f"{prefix}_w", p.arr((d, units), -0.7, 0.7))
    b = p.var(f"{prefix}_b", p.arr((units,), -0.1, 0.1))
    if len(p.shape(x)) == 2:
        h = p.op("MatMul", [x, w], a=x, b=w)
    else:
        h = p.op("BatchMatMulV2", [x, w], x=x, y=w)
    return act(p, p.op("BiasAdd", [h, b], value=h, bias=b), kind)


def layer_norm(p, x, prefix):
    d = p.shape(x)[-1]
    g = p.var(f"{prefix}_g", (1 + p.arr((d,), -0.1, 0.1)).astype(p.dt))
    mu = p.op("Mean", [x], {"axis": -1, "keep_dims": True}, input=x, axis=-1, keep_dims=True)
    var = p.op("SquaredDifference", [x, mu], x=x, y=mu)
    var = p.op("Mean", [var], {"axis": [-1], "keep_dims": True}, input=var, axis=[-1], keep_dims=True)
    s = p.op("AddV2", [var, "eps"], x=var, y="eps")
    r = p.op("Rsqrt", [s], x=s)
    c = p.op("Sub", [x, mu], x=x, y=mu)
    n = p.op("Mul", [c, r], x=c, y=r)
    return p.op("Mul", [n, g], x=n, y=g)


def attention(p, x, prefix):
    """Single-head self-attention over [batch, seq, d]."""
    b, s, d = p.shape(x)
    q = dense(p, x, d, None, f"{prefix}_q")
    k = dense(p, x, d, None, f"{prefix}_k")
    kt = p.op("Transpose", [k], {"perm": [0, 2, 1]}, x=k, perm=[0, 2, 1])
    sc = p.op("BatchMatMulV2", [q, kt], x=q, y=kt)
    sc = p.op("Mul", [sc, "scale"], x=sc, y="scale")
    a = p.op("Softmax", [sc], logits=sc)
    if rng.random() < 0.5:
        return p.op("BatchMatMulV2", [a, x], x=a, y=x)
    xt = p.op("Transpose", [x], {"perm": [0, 2, 1]}, x=x, perm=[0, 2, 1])
    o = p.op("BatchMatMulV2", [a, xt], {"adj_y": True}, x=a, y=xt, adj_y=True)
    return o


def model(i):
    dt = np.float32 if i % 2 == 0 else np.float64
    p = Prog(dt)
    batch, seq, d, c = int(rng.integers(2, 5)), int(rng.integers(2, 4)), int(rng.integers(2, 5)), int(rng.integers(2, 5))
    p.const("lr", np.asarray(0.05, dt))
    for name, v in (("eps", 1e-3), ("scale", 1 / np.sqrt(d)), ("lam", 0.01)):
        p.const(name, np.asarray(v, dt))
    # Inputs: token ids through an embedding (repeated ids), or features.
    if rng.random() < 0.5:
        vocab = int(rng.integers(3, 7))
        emb = p.var("emb", p.arr((vocab, d)))
        ids = p.const("ids", rng.integers(0, vocab, size=(batch, seq)).astype(np.int32 if rng.random() < 0.5 else np.int64))
        layers = [("gather", emb, ids)]
    else:
        x0 = p.const("x", p.arr((batch, seq, d), -2, 2))
        layers = [("input", x0)]
    labels = rng.integers(0, c, size=(batch,)).astype(np.int64 if rng.random() < 0.5 else np.int32)
    p.const("labels", labels)
    p.const("onehot", np.eye(c, dtype=dt)[labels])
    p.const("target", p.arr((batch, c)))
    p.const("keep", rng.random(size=(batch, seq, d)) < 0.7)
    p.const("zeros", np.zeros((batch, seq, d), dt))
    plan = [str(rng.choice(["dense", "norm", "attn", "resid", "concat", "mask", "tile"])) for _ in range(int(rng.integers(2, 5)))]
    pool = str(rng.choice(["mean", "max", "reshape", "slice"]))
    loss_kind = str(rng.choice(["sparse", "dense", "mse", "nll"]))
    l2 = bool(rng.random() < 0.4)
    unused = bool(rng.random() < 0.3)

    def forward():
        h = p.op("GatherV2", [layers[0][1], layers[0][2]], {"axis": 0}, params=layers[0][1], indices=layers[0][2], axis=0) \
            if layers[0][0] == "gather" else layers[0][1]
        for k, kind in enumerate(plan):
            if kind == "dense":
                h = dense(p, h, d, ACTS[(i + k) % len(ACTS)], f"l{k}")
            elif kind == "norm":
                h = layer_norm(p, h, f"l{k}")
            elif kind == "attn":
                h = attention(p, h, f"l{k}")
            elif kind == "resid":
                f = dense(p, h, d, "Tanh", f"l{k}")
                h = p.op("AddV2", [h, f], x=h, y=f)
            elif kind == "concat":
                f = dense(p, h, d, "Relu", f"l{k}")
                cc = p.op("ConcatV2", [h, f], {"axis": -1}, values=[h, f], axis=-1)
                h = p.op("Slice", [cc], {"begin": [0, 0, 1], "size": [-1, -1, d]}, input=cc, begin=[0, 0, 1], size=[-1, -1, d])
            elif kind == "mask":
                h = p.op("SelectV2", ["keep", h, "zeros"], condition="keep", t=h, e="zeros")
            else:
                m = p.op("Mean", [h], {"axis": [1], "keep_dims": True}, input=h, axis=[1], keep_dims=True)
                t = p.op("Tile", [m], {"multiples": [1, seq, 1]}, input=m, multiples=[1, seq, 1])
                h = p.op("Mul", [h, t], x=h, y=t)
        if pool == "mean":
            h = p.op("Mean", [h], {"axis": 1, "keep_dims": False}, input=h, axis=1, keep_dims=False)
        elif pool == "max":
            h = p.op("Max", [h], {"axis": [1], "keep_dims": False}, input=h, axis=[1], keep_dims=False)
        elif pool == "reshape":
            h = p.op("Reshape", [h], {"shape": [batch, -1]}, tensor=h, shape=[batch, -1])
        else:
            s = p.op("Slice", [h], {"begin": [0, seq - 1, 0], "size": [-1, 1, -1]}, input=h, begin=[0, seq - 1, 0], size=[-1, 1, -1])
            h = p.op("Squeeze", [s], {"axis": [1]}, input=s, axis=[1])
        z = dense(p, h, c, None, "out")
        if loss_kind == "sparse":
            per = p.op("SparseSoftmaxCrossEntropyWithLogits", [z, "labels"], features=z, labels="labels")
        elif loss_kind == "dense":
            per = p.op("SoftmaxCrossEntropyWithLogits", [z, "onehot"], features=z, labels="onehot")
        elif loss_kind == "mse":
            per = p.op("SquaredDifference", [z, "target"], x=z, y="target")
        else:
            ls = p.op("LogSoftmax", [z], logits=z)
            m = p.op("Mul", [ls, "onehot"], x=ls, y="onehot")
            sm = p.op("Sum", [m], {"axis": -1, "keep_dims": False}, input=m, axis=-1, keep_dims=False)
            per = p.op("Neg", [sm], x=sm)
        loss = p.op("Mean", [per], {"keep_dims": False}, input=per, axis=list(range(len(p.shape(per)))), keep_dims=False)
        if l2:
            sq = p.op("Square", ["out_w"], x="out_w")
            s2 = p.op("Sum", [sq], {"keep_dims": False}, input=sq, axis=[0, 1], keep_dims=False)
            pen = p.op("Mul", [s2, "lam"], x=s2, y="lam")
            loss = p.op("AddV2", [loss, pen], x=loss, y=pen)
        return loss

    for step in range(3):
        mark = len(p.steps)
        with tf.GradientTape() as tape:
            p.steps.append({"tape": "t", "persistent": False, "watch_accessed_variables": True})
            loss = forward()
            p.steps.append({"stop": "t"})
        if not p.frozen:
            # The first pass created the variables: their steps go before the tape's.
            if unused:
                p.var("unused", p.arr((2,)))
            head, tail = p.steps[:mark], p.steps[mark:]
            p.steps = head + [s for s in tail if "variable" in s] + [s for s in tail if "variable" not in s]
            p.frozen = True
        names = sorted(p.vars)
        gs = [tf.convert_to_tensor(g) for g in tape.gradient(
            p.env[loss], [p.vars[v] for v in names], unconnected_gradients=tf.UnconnectedGradients.ZERO)]
        p.steps.append({"fetch": [loss], "expect": [T(p.env[loss].numpy())]})
        p.steps.append({"gradient": "t", "targets": [loss], "sources": names, "unconnected": "zero",
                        "outputs": [f"g_{v}_{step}" for v in names], "expect": [T(g.numpy()) for g in gs]})
        for v, g in zip(names, gs):
            p.vars[v].assign_sub(R.Mul(x=g, y=p.env["lr"]))
            p.steps.append({"op": "Mul", "inputs": [f"g_{v}_{step}", "lr"], "outputs": [f"u_{v}_{step}"]})
            p.steps.append({"assign": v, "mode": "sub", "source": f"u_{v}_{step}"})
    names = sorted(p.vars)
    p.steps.append({"fetch": names, "expect": [T(p.vars[v].numpy()) for v in names]})
    tag = "+".join(plan)
    return {"name": f"model/{tag}/{pool}/{loss_kind}/{dt.__name__}/{i}", "about": "random model, 3 SGD steps",
            "rtol": 2e-3 if dt == np.float32 else 1e-8, "atol": 2e-4 if dt == np.float32 else 1e-9, "steps": p.steps}


cases = []
for i in range(N):
    cases.append(model(i))
json.dump({"format": "gradient-conformance/1", "generated_by": "tf_random_models", "cases": cases}, sys.stdout)
