//! The op registry: one line per op (name, arity, attrs, gradient convention, builder). The
//! README's op table is checked against it by a test, so the two cannot drift.

use super::{AttrMap, Attrs, Op, binary, cumulative, index, matmul, misc, nn, reduce, shape, unary};
use crate::error::Result;
use crate::invalid;
use std::sync::Arc;
use unary::Kind as U;

type Builder = fn(&mut Attrs) -> Result<Arc<dyn Op>>;

/// How many inputs an op takes.
#[derive(Clone, Copy, Debug)]
pub enum Arity {
    Exact(usize),
    AtLeast(usize),
}

/// One registered op.
pub struct OpSpec {
    pub name: &'static str,
    pub arity: Arity,
    /// Attrs as documented in the README (empty: none).
    pub attrs: &'static str,
    /// The gradient, in math, with TensorFlow's conventions.
    pub gradient: &'static str,
    /// Whether the finite-difference checker must cover it.
    pub differentiable: bool,
    build: Builder,
}

use Arity::{AtLeast, Exact};

const fn op(
    name: &'static str,
    arity: Arity,
    attrs: &'static str,
    gradient: &'static str,
    differentiable: bool,
    build: Builder,
) -> OpSpec {
    OpSpec {
        name,
        arity,
        attrs,
        gradient,
        differentiable,
        build,
    }
}

#[rustfmt::skip]
static SPECS: &[OpSpec] = &[
    op("AddV2", Exact(2), "", "dx = g, dy = g (summed to each input's shape)", true, binary::add_v2),
    op("Sub", Exact(2), "", "dx = g, dy = -g", true, binary::sub_op),
    op("Mul", Exact(2), "", "dx = g*y, dy = g*x", true, binary::mul_op),
    op("RealDiv", Exact(2), "", "dx = g/y, dy = -g*x/y^2", true, binary::real_div),
    op("Pow", Exact(2), "", "dx = g*y*x^(y-1), dy = g*x^y*log(x) (0 where x <= 0)", true, binary::pow_op),
    op("Maximum", Exact(2), "", "g goes to x where x >= y, else to y", true, binary::maximum),
    op("Minimum", Exact(2), "", "g goes to x where x <= y, else to y", true, binary::minimum),
    op("SquaredDifference", Exact(2), "", "dx = 2g(x-y), dy = -2g(x-y)", true, binary::squared_difference),
    op("FloorDiv", Exact(2), "", "none (floor(x/y) is piecewise constant)", false, binary::floor_div),
    op("FloorMod", Exact(2), "", "dx = g, dy = -g*floor_div(x, y)", true, binary::floor_mod),
    op("DivNoNan", Exact(2), "", "x/y, 0 where y == 0; dx = div_no_nan(g, y), dy = g*div_no_nan(div_no_nan(-x, y), y)", true, binary::div_no_nan_op),
    op("Identity", Exact(1), "", "dx = g", true, |_| unary::new(U::Identity)),
    op("StopGradient", Exact(1), "", "none (blocks the path)", false, unary::stop_gradient),
    op("Neg", Exact(1), "", "dx = -g", true, |_| unary::new(U::Neg)),
    op("Square", Exact(1), "", "dx = 2g*x", true, |_| unary::new(U::Square)),
    op("Sqrt", Exact(1), "", "dx = g/(2*sqrt(x))", true, |_| unary::new(U::Sqrt)),
    op("Rsqrt", Exact(1), "", "dx = -g*y^3/2", true, |_| unary::new(U::Rsqrt)),
    op("Reciprocal", Exact(1), "", "dx = -g*y^2", true, |_| unary::new(U::Reciprocal)),
    op("Exp", Exact(1), "", "dx = g*exp(x)", true, |_| unary::new(U::Exp)),
    op("Log", Exact(1), "", "dx = g/x", true, |_| unary::new(U::Log)),
    op("Log1p", Exact(1), "", "dx = g/(1+x)", true, |_| unary::new(U::Log1p)),
    op("Abs", Exact(1), "", "dx = g*sign(x) (0 at 0)", true, |_| unary::new(U::Abs)),
    op("Sign", Exact(1), "", "dx = 0", true, |_| unary::new(U::Sign)),
    op("Floor", Exact(1), "", "none", false, |_| unary::new(U::Floor)),
    op("Sin", Exact(1), "", "dx = g*cos(x)", true, |_| unary::new(U::Sin)),
    op("Cos", Exact(1), "", "dx = -g*sin(x)", true, |_| unary::new(U::Cos)),
    op("Tanh", Exact(1), "", "dx = g*(1-y^2)", true, |_| unary::new(U::Tanh)),
    op("Sigmoid", Exact(1), "", "dx = g*y*(1-y)", true, |_| unary::new(U::Sigmoid)),
    op("Relu", Exact(1), "", "dx = g where x > 0, else 0 (Relu'(0) = 0)", true, |_| unary::new(U::Relu)),
    op("LeakyRelu", Exact(1), "alpha (float, default 0.2)", "dx = g where x > 0, else alpha*g", true, unary::leaky_relu),
    op("Elu", Exact(1), "", "dx = g where x > 0, else g*(y+1)", true, |_| unary::new(U::Elu)),
    op("Softplus", Exact(1), "", "dx = g*sigmoid(x)", true, |_| unary::new(U::Softplus)),
    op("Tan", Exact(1), "", "dx = g/cos(x)^2", true, |_| unary::new(U::Tan)),
    op("Atan", Exact(1), "", "dx = g/(1+x^2)", true, |_| unary::new(U::Atan)),
    op("Asin", Exact(1), "", "dx = g/sqrt(1-x^2)", true, |_| unary::new(U::Asin)),
    op("Acos", Exact(1), "", "dx = -g/sqrt(1-x^2)", true, |_| unary::new(U::Acos)),
    op("Sinh", Exact(1), "", "dx = g*cosh(x)", true, |_| unary::new(U::Sinh)),
    op("Cosh", Exact(1), "", "dx = g*sinh(x)", true, |_| unary::new(U::Cosh)),
    op("Expm1", Exact(1), "", "dx = g*exp(x)", true, |_| unary::new(U::Expm1)),
    op("Erf", Exact(1), "", "dx = g*2/sqrt(pi)*exp(-x^2)", true, |_| unary::new(U::Erf)),
    op("Erfc", Exact(1), "", "dx = -g*2/sqrt(pi)*exp(-x^2)", true, |_| unary::new(U::Erfc)),
    op("Ceil", Exact(1), "", "none", false, |_| unary::new(U::Ceil)),
    op("Round", Exact(1), "", "none (half to even; integer inputs give zeros, as TF 2.21's kernel)", false, |_| unary::new(U::Round)),
    op("MatMul", Exact(2), "transpose_a, transpose_b (bool)", "da = g@b^T, db = a^T@g (transposes folded)", true, matmul::mat_mul),
    op("BatchMatMulV2", Exact(2), "adj_x, adj_y (bool)", "as MatMul per batch; broadcast batch dims summed back", true, matmul::batch_mat_mul),
    op("Sum", Exact(1), "axis (int or list; absent = all), keep_dims", "dx = broadcast(g)", true, reduce::sum_op),
    op("Mean", Exact(1), "axis, keep_dims", "dx = broadcast(g)/n", true, reduce::mean_op),
    op("Max", Exact(1), "axis, keep_dims", "g split evenly among the tied maxima", true, reduce::max_op),
    op("Min", Exact(1), "axis, keep_dims", "g split evenly among the tied minima", true, reduce::min_op),
    op("Prod", Exact(1), "axis, keep_dims", "dx = g*left*right, the exclusive Cumprods from each side (zeros handled)", true, reduce::prod_op),
    op("Cumsum", Exact(1), "axis (int, default 0), exclusive, reverse (bool)", "dx = cumsum(g, exclusive, !reverse)", true, cumulative::cumsum_op),
    op("Cumprod", Exact(1), "axis (int, default 0), exclusive, reverse (bool)", "dx = div_no_nan(cumsum(cumprod(x)*g, exclusive, !reverse), x) (0 where x == 0, as TF)", true, cumulative::cumprod_op),
    op("Reshape", Exact(1), "shape (list, one -1 allowed)", "dx = reshape(g, x.shape)", true, shape::reshape_op),
    op("Transpose", Exact(1), "perm (list)", "dx = transpose(g, inverse(perm))", true, shape::transpose_op),
    op("ExpandDims", Exact(1), "axis (int)", "dx = reshape(g, x.shape)", true, shape::expand_dims),
    op("Squeeze", Exact(1), "axis (list; absent = all size-1 dims)", "dx = reshape(g, x.shape)", true, shape::squeeze),
    op("ConcatV2", AtLeast(1), "axis (int)", "each input gets its slice of g", true, index::concat),
    op("Pack", AtLeast(1), "axis (int, default 0)", "each input gets its slice of g", true, index::pack),
    op("Slice", Exact(1), "begin, size (lists; size -1 = to the end)", "dx = g padded with zeros", true, index::slice_op),
    op("Pad", Exact(1), "paddings (list of 2*rank ints: before, after per dim)", "dx = slice of g", true, index::pad_op),
    op("GatherV2", Exact(2), "axis (int, default 0); input 2: int32/int64 indices", "rows of g scattered back, repeated indices add up; indices: none", true, index::gather),
    op("Tile", Exact(1), "multiples (list)", "dx = sum of g's tiles", true, shape::tile),
    op("BroadcastTo", Exact(1), "shape (list)", "dx = g summed over the broadcast dims", true, shape::broadcast_to_op),
    op("BiasAdd", Exact(2), "", "dx = g, dbias = g summed over all but the last axis", true, nn::bias_add),
    op("Softmax", Exact(1), "", "dx = (g - sum(g*y, -1))*y", true, nn::softmax),
    op("LogSoftmax", Exact(1), "", "dx = g - sum(g, -1)*exp(y)", true, nn::log_softmax),
    op("SoftmaxCrossEntropyWithLogits", Exact(2), "", "outputs (loss, backprop); dlogits = g*backprop, dlabels = -g*log_softmax(logits)", true, nn::softmax_xent),
    op("SparseSoftmaxCrossEntropyWithLogits", Exact(2), "", "outputs (loss, backprop); dlogits = g*backprop; labels: none", true, nn::sparse_softmax_xent),
    op("Cast", Exact(1), "dtype (string or dtype)", "float to float: dx = cast(g); otherwise none", true, misc::cast),
    op("Greater", Exact(2), "", "none (bool output)", false, misc::greater),
    op("Less", Exact(2), "", "none (bool output)", false, misc::less),
    op("GreaterEqual", Exact(2), "", "none (bool output)", false, misc::greater_equal),
    op("LessEqual", Exact(2), "", "none (bool output)", false, misc::less_equal),
    op("Equal", Exact(2), "", "none (bool output)", false, misc::equal),
    op("NotEqual", Exact(2), "", "none (bool output)", false, misc::not_equal),
    op("LogicalAnd", Exact(2), "bool inputs", "none", false, misc::logical_and),
    op("LogicalOr", Exact(2), "bool inputs", "none", false, misc::logical_or),
    op("LogicalNot", Exact(1), "bool input", "none", false, misc::logical_not),
    op("SelectV2", Exact(3), "", "dt = g where cond, de = g where not cond (zeros elsewhere); cond: none", true, misc::select_v2),
    op("ArgMax", Exact(1), "axis (int, default 0); output int64", "none", false, misc::arg_max),
    op("OneHot", Exact(1), "depth (int), dtype (default float32), on_value, off_value, axis (-1)", "none", false, misc::one_hot),
];

/// All registered ops, in README order.
pub fn specs() -> &'static [OpSpec] {
    SPECS
}

/// Looks an op up by its raw-op name.
pub fn spec(name: &str) -> Option<&'static OpSpec> {
    static INDEX: std::sync::OnceLock<rustc_hash::FxHashMap<&'static str, &'static OpSpec>> =
        std::sync::OnceLock::new();
    INDEX
        .get_or_init(|| SPECS.iter().map(|s| (s.name, s)).collect())
        .get(name)
        .copied()
}

/// Parses `attrs` for op `name` and checks the number of inputs.
pub fn build(name: &str, attrs: &AttrMap, n_inputs: usize) -> Result<Arc<dyn Op>> {
    let spec = spec(name).ok_or_else(|| invalid!("unknown op {name:?}"))?;
    let ok = match spec.arity {
        Arity::Exact(n) => n_inputs == n,
        Arity::AtLeast(n) => n_inputs >= n,
    };
    if !ok {
        let want = match spec.arity {
            Arity::Exact(n) => format!("{n}"),
            Arity::AtLeast(n) => format!("at least {n}"),
        };
        return Err(invalid!("{name} takes {want} inputs, got {n_inputs}"));
    }
    let mut reader = Attrs::new(spec.name, attrs);
    let op = (spec.build)(&mut reader)?;
    reader.finish()?;
    Ok(op)
}

/// The README's op table, rendered from the registry (`gradd ops` prints it; a test checks
/// that README.md contains it verbatim).
pub fn markdown_table() -> String {
    let mut s = String::from("| op | attrs | gradient |\n| --- | --- | --- |\n");
    for o in SPECS {
        let attrs = if o.attrs.is_empty() { "" } else { o.attrs };
        s.push_str(&format!("| {} | {} | {} |\n", o.name, attrs, o.gradient));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_op_table_matches_the_registry() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&markdown_table()),
            "README.md's op table is stale: replace it with the output of `gradd ops`"
        );
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in SPECS.iter().enumerate() {
            assert!(
                SPECS[i + 1..].iter().all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
        }
    }
}
