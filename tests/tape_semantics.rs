//! Tape bookkeeping cases where TensorFlow's answer follows from how its tape tracks tensor
//! ids rather than from the math; each expectation was recorded from TensorFlow 2.21 (raw ops,
//! eager) and found by `scripts/tf_random_programs.py`.

use gradd::ops::AttrMap;
use gradd::session::{Session, Step};
use gradd::tensor::{DType, Tensor};

fn t(v: &[f64]) -> Tensor {
    Tensor::from_f64s(DType::F32, &[v.len()], v).expect("tensor")
}

struct Prog(Session);

impl Prog {
    fn new(persistent: bool) -> Prog {
        let mut s = Session::new();
        s.run_step(Step::Tape {
            tape: "t".into(),
            persistent,
            watch_accessed_variables: true,
        })
        .expect("tape");
        Prog(s)
    }
    fn constant(&mut self, name: &str, v: &[f64]) {
        (self.0)
            .run_step(Step::Constant {
                name: name.into(),
                value: t(v),
            })
            .expect("constant");
    }
    fn watch(&mut self, name: &str) {
        (self.0)
            .run_step(Step::Watch {
                tape: "t".into(),
                refs: vec![name.into()],
            })
            .expect("watch");
    }
    fn op(&mut self, op: &str, inputs: &[&str], out: &str) {
        (self.0)
            .run_step(Step::Op {
                op: op.into(),
                inputs: inputs.iter().map(|s| s.to_string()).collect(),
                attrs: AttrMap::new(),
                outputs: vec![out.into()],
            })
            .expect("op");
    }
    fn stop(&mut self) {
        self.0.run_step(Step::Stop { tape: "t".into() }).expect("stop");
    }
    fn gradient(&mut self, targets: &[&str], sources: &[&str]) -> Vec<Option<Vec<f64>>> {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        let out = (self.0)
            .run_step(Step::Gradient {
                tape: "t".into(),
                targets: s(targets),
                sources: s(sources),
                output_gradients: vec![],
                unconnected_zero: false,
                outputs: vec![],
                fetch: true,
            })
            .expect("gradient");
        (out.values.iter())
            .map(|v| v.tensor.as_ref().map(|t| t.to_f64_vec()))
            .collect()
    }
}

fn close(got: &Option<Vec<f64>>, want: &[f64]) -> bool {
    got.as_ref()
        .is_some_and(|g| g.len() == want.len() && g.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-5))
}

/// StopGradient is recorded: its output is tracked, so ops after it are recorded and a
/// gradient w.r.t. that output flows (only the path back to its input is cut).
#[test]
fn stop_gradient_output_is_tracked() {
    let mut p = Prog::new(true);
    p.constant("x", &[1.0, 2.0]);
    p.watch("x");
    p.op("StopGradient", &["x"], "s");
    p.op("Tanh", &["s"], "y");
    p.op("AddV2", &["s", "y"], "z");
    p.stop();
    let g = p.gradient(&["z"], &["s", "x"]);
    // TF 2.21: d z / d s = 1 + (1 - tanh(s)^2) = [1.4199743, 1.0706508]; x: None.
    assert!(close(&g[0], &[1.419_974_3, 1.070_650_8]), "{g:?}");
    assert_eq!(g[1], None);
    let g = p.gradient(&["y", "z"], &["y"]);
    assert!(close(&g[0], &[2.0, 2.0]), "{g:?}");
}

/// A source the tape does not track, given as a target too, keeps its seed of ones unless a
/// recorded op on the way back from the targets consumes it: then TF drops it (None).
#[test]
fn an_untracked_target_source_is_none_once_a_recorded_op_consumed_it() {
    let mut p = Prog::new(true);
    p.constant("x", &[1.0]);
    p.constant("k", &[2.0]);
    p.watch("k");
    p.op("AddV2", &["x", "x"], "a"); // untracked: x is not watched
    p.op("Mul", &["a", "k"], "b"); // recorded: k is watched
    p.op("AddV2", &["x", "x"], "d"); // untracked, unrelated to b
    p.stop();
    let g = p.gradient(&["a", "b"], &["a", "k"]);
    assert_eq!(g[0], None, "{g:?}");
    assert!(close(&g[1], &[2.0]), "{g:?}");
    assert!(close(&p.gradient(&["a"], &["a"])[0], &[1.0]));
    assert!(close(&p.gradient(&["a", "d"], &["a"])[0], &[1.0]));
    assert!(close(&p.gradient(&["a", "k"], &["a"])[0], &[1.0]));
}

/// A tape entered again (TapeStep.reenter, TensorFlow's second `with tape:`) records on top of
/// what it recorded while it has not computed its gradient; a used non-persistent tape starts
/// afresh. TF 2.21: y = 3x in the first block, z = 5x in the second, gradients 3 and 5.
#[test]
fn a_reentered_tape_records_again_until_it_is_used() {
    let reenter = |p: &mut Prog| {
        (p.0)
            .run_step(Step::Reenter {
                tape: "t".into(),
                persistent: false,
                watch_accessed_variables: true,
            })
            .expect("reenter");
    };
    let mut p = Prog::new(true);
    p.constant("x", &[2.0]);
    p.constant("three", &[3.0]);
    p.constant("five", &[5.0]);
    p.watch("x");
    p.op("Mul", &["x", "three"], "y");
    p.stop();
    reenter(&mut p);
    p.op("Mul", &["x", "five"], "z");
    p.stop();
    assert!(close(&p.gradient(&["y"], &["x"])[0], &[3.0]));
    assert!(close(&p.gradient(&["z"], &["x"])[0], &[5.0]));

    // Non-persistent: once used, re-entering gives a new tape that watches nothing yet.
    let mut q = Prog::new(false);
    q.constant("x", &[2.0]);
    q.constant("five", &[5.0]);
    q.watch("x");
    q.op("Mul", &["x", "five"], "y");
    q.stop();
    assert!(close(&q.gradient(&["y"], &["x"])[0], &[5.0]));
    reenter(&mut q);
    q.op("Mul", &["x", "five"], "z");
    q.stop();
    assert_eq!(q.gradient(&["z"], &["x"])[0], None);
}
