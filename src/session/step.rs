//! The engine's step vocabulary (the proto's, minus the wire types) and step results.

use crate::ops::AttrMap;
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignMode {
    Assign,
    Add,
    Sub,
}

#[derive(Clone, Debug)]
pub enum AssignSource {
    Value(Tensor),
    Ref(String),
}

#[derive(Clone, Debug)]
pub enum Step {
    Variable {
        name: String,
        value: Tensor,
        trainable: bool,
    },
    Constant {
        name: String,
        value: Tensor,
    },
    Tape {
        tape: String,
        persistent: bool,
        watch_accessed_variables: bool,
    },
    /// TapeStep with `reenter`: the tape records again if it can, else as `Tape`.
    Reenter {
        tape: String,
        persistent: bool,
        watch_accessed_variables: bool,
    },
    Watch {
        tape: String,
        refs: Vec<String>,
    },
    Op {
        op: String,
        inputs: Vec<String>,
        attrs: AttrMap,
        outputs: Vec<String>,
    },
    Stop {
        tape: String,
    },
    Pause {
        tape: String,
    },
    Resume {
        tape: String,
    },
    Reset {
        tape: String,
    },
    Gradient {
        tape: String,
        targets: Vec<String>,
        sources: Vec<String>,
        output_gradients: Vec<Tensor>,
        unconnected_zero: bool,
        outputs: Vec<String>,
        fetch: bool,
    },
    Jacobian {
        tape: String,
        target: String,
        sources: Vec<String>,
        unconnected_zero: bool,
        outputs: Vec<String>,
        fetch: bool,
    },
    BatchJacobian {
        tape: String,
        target: String,
        source: String,
        output: String,
        fetch: bool,
    },
    Fetch {
        refs: Vec<String>,
    },
    WatchedVariables {
        tape: String,
    },
    Assign {
        variable: String,
        mode: AssignMode,
        source: AssignSource,
    },
    Release {
        refs: Vec<String>,
        tapes: Vec<String>,
    },
}

impl Step {
    /// The step kind, as named in the proto and the conformance files.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Variable { .. } => "variable",
            Step::Constant { .. } => "constant",
            Step::Tape { .. } | Step::Reenter { .. } => "tape",
            Step::Watch { .. } => "watch",
            Step::Op { .. } => "op",
            Step::Stop { .. } => "stop",
            Step::Pause { .. } => "pause",
            Step::Resume { .. } => "resume",
            Step::Reset { .. } => "reset",
            Step::Gradient { .. } => "gradient",
            Step::Jacobian { .. } => "jacobian",
            Step::BatchJacobian { .. } => "batch_jacobian",
            Step::Fetch { .. } => "fetch",
            Step::WatchedVariables { .. } => "watched_variables",
            Step::Assign { .. } => "assign",
            Step::Release { .. } => "release",
        }
    }

    /// The ref or tape the step is about, for error messages.
    pub fn subject(&self) -> String {
        let first = |v: &[String]| v.first().cloned().unwrap_or_default();
        match self {
            Step::Variable { name, .. } | Step::Constant { name, .. } => name.clone(),
            Step::Tape { tape, .. }
            | Step::Reenter { tape, .. }
            | Step::Watch { tape, .. }
            | Step::Stop { tape }
            | Step::Pause { tape }
            | Step::Resume { tape }
            | Step::Reset { tape }
            | Step::Gradient { tape, .. }
            | Step::Jacobian { tape, .. }
            | Step::BatchJacobian { tape, .. }
            | Step::WatchedVariables { tape } => tape.clone(),
            Step::Op { op, outputs, .. } => {
                // Built by hand: this runs for every step of every Run (before the step
                // consumes itself), and `format!` cost several times the one allocation.
                let out = outputs.first().map_or("", String::as_str);
                let mut s = String::with_capacity(op.len() + 4 + out.len());
                s.push_str(op);
                s.push_str(" -> ");
                s.push_str(out);
                s
            }
            Step::Fetch { refs } => first(refs),
            Step::Assign { variable, .. } => variable.clone(),
            Step::Release { refs, tapes } => first(refs).max(first(tapes)),
        }
    }
}

/// One value a step produced or read. `tensor: None` is "no gradient" (TensorFlow's None).
#[derive(Clone, Debug)]
pub struct Value {
    pub name: String,
    pub tensor: Option<Tensor>,
    /// Whether the client asked for the values (otherwise only shape and dtype go back).
    pub fetched: bool,
}

#[derive(Clone, Debug, Default)]
pub struct StepOutput {
    pub values: Vec<Value>,
    pub variables: Vec<String>,
}
