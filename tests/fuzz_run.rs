//! Fuzzes decode -> validate -> execute with arbitrary-ish RunRequests: random step kinds over
//! a small pool of refs and tapes, registry ops and garbage names, random attrs, tensors with
//! wrong shapes, dtypes and value counts, random raw bytes; and byte-mutated encodings. Nothing
//! may panic; errors are fine. After every failing step the session still fetches a known
//! constant, and no step leaves the session over its memory budget.
//!
//! Each test re-runs itself in a child process under `ulimit -v` (8 GiB): a runaway
//! allocation then aborts that child (a failure) instead of exhausting the machine. Attr ints
//! are small or negative: huge sizes (an abort, not a panic, today) have their own test in
//! production_limits.rs. `FUZZ_RUN_CASES=40000` runs a longer campaign (default 2000).

use gradd::proto as pb;
use gradd::service::convert::{DecodeLimits, step_from_pb};
use gradd::session::{Session, Step};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::time::Instant;

const CASES: u32 = 2000;
const BUDGET: usize = 256 << 10;
const LIMITS: DecodeLimits = DecodeLimits {
    max_tensor_elements: 4096,
};
const GOOD: &str = "__good";

/// Runs `body` in a child process of this test binary with an address-space limit.
fn in_limited_child(name: &str, body: impl FnOnce()) {
    if std::env::var_os("FUZZ_RUN_CHILD").is_some() {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 8388608 && exec \"$0\" \"$@\"")
        .arg(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("FUZZ_RUN_CHILD", "1")
        .output()
        .expect("run child");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "fuzz child failed ({:?}):\n{text}",
        out.status
    );
}

/// Refs: the prelude's (see `prelude`), two fresh ones, the empty string and a tape's name.
fn name() -> BoxedStrategy<String> {
    prop::sample::select(vec!["a", "b", "c", "i", "v", "w", "x", "y", "x", "y", "", "t"])
        .prop_map(String::from)
        .boxed()
}

fn names() -> BoxedStrategy<Vec<String>> {
    prop_oneof![4 => prop::collection::vec(name(), 1..3), 1 => prop::collection::vec(name(), 0..5)].boxed()
}

fn tape_name() -> BoxedStrategy<String> {
    prop::sample::select(vec!["t", "u", "", "a"])
        .prop_map(String::from)
        .boxed()
}

fn small_int() -> BoxedStrategy<i64> {
    prop_oneof![8 => -2i64..4, 1 => Just(i64::MIN), 1 => Just(-(1i64 << 40))].boxed()
}

fn dtype() -> BoxedStrategy<i32> {
    prop_oneof![8 => 1i32..=5, 1 => Just(0), 1 => any::<i32>()].boxed()
}

fn attr() -> BoxedStrategy<pb::AttrValue> {
    use pb::attr_value::Value as V;
    let value = prop_oneof![
        small_int().prop_map(V::I),
        prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-0.0), -3.0f64..3.0].prop_map(V::F),
        any::<bool>().prop_map(V::B),
        prop::sample::select(vec!["float32", "float64", "int32", "int64", "bool", "junk", ""])
            .prop_map(|s| V::S(s.into())),
        prop::collection::vec(small_int(), 0..6).prop_map(|values| V::Ints(pb::IntList { values })),
        dtype().prop_map(V::Type),
    ];
    prop::option::weighted(0.95, value)
        .prop_map(|value| pb::AttrValue { value })
        .boxed()
}

fn attrs() -> BoxedStrategy<HashMap<String, pb::AttrValue>> {
    let key = prop::sample::select(vec![
        "shape",
        "axis",
        "perm",
        "multiples",
        "keep_dims",
        "transpose_a",
        "transpose_b",
        "adj_x",
        "adj_y",
        "dtype",
        "depth",
        "on_value",
        "off_value",
        "paddings",
        "begin",
        "size",
        "alpha",
        "junk",
    ])
    .prop_map(String::from);
    prop::collection::hash_map(key, attr(), 0..3).boxed()
}

/// A consistent tensor (valid dtype, small shape, the right number of values) most of the
/// time; otherwise anything: wrong counts, several value fields, raw bytes, odd shapes.
fn tensor() -> BoxedStrategy<pb::Tensor> {
    let shape = prop::collection::vec(0i64..4, 0..4);
    let consistent =
        (1i32..=5, shape.clone(), any::<bool>(), any::<u64>()).prop_map(|(dt, shape, raw, seed)| {
            let n: i64 = shape.iter().product();
            let n = n as usize;
            let v = |i: usize| ((seed as usize).wrapping_add(i * 7919) % 11) as f64 - 5.0;
            let mut t = pb::Tensor {
                dtype: dt,
                shape,
                ..Default::default()
            };
            match (dt, raw) {
                (1, false) => t.float_val = (0..n).map(|i| v(i) as f32).collect(),
                (2, false) => t.double_val = (0..n).map(v).collect(),
                (3, false) => t.int_val = (0..n).map(|i| v(i) as i32).collect(),
                (4, false) => t.int64_val = (0..n).map(|i| v(i) as i64).collect(),
                (5, false) => t.bool_val = (0..n).map(|i| v(i) > 0.0).collect(),
                (1, true) => t.raw = (0..n).flat_map(|i| (v(i) as f32).to_le_bytes()).collect(),
                (2, true) => t.raw = (0..n).flat_map(|i| v(i).to_le_bytes()).collect(),
                (3, true) => t.raw = (0..n).flat_map(|i| (v(i) as i32).to_le_bytes()).collect(),
                (4, true) => t.raw = (0..n).flat_map(|i| (v(i) as i64).to_le_bytes()).collect(),
                _ => t.raw = (0..n).map(|i| (v(i) > 0.0) as u8).collect(),
            }
            t
        });
    let odd_shape = prop_oneof![
        prop::collection::vec(
            prop_oneof![0i64..5, Just(-1), Just(1 << 40), Just(i64::MAX)],
            0..5
        ),
        prop::collection::vec(1i64..3, 0..9),
    ];
    let wild = (
        dtype(),
        odd_shape,
        prop::collection::vec(any::<f32>(), 0..6),
        prop::collection::vec(any::<f64>(), 0..3),
        prop::collection::vec(any::<i32>(), 0..3),
        prop::collection::vec(any::<i64>(), 0..3),
        prop::collection::vec(any::<bool>(), 0..3),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(dtype, shape, f, d, i, l, b, raw)| pb::Tensor {
            dtype,
            shape,
            float_val: f,
            double_val: d,
            int_val: i,
            int64_val: l,
            bool_val: b,
            raw,
        });
    prop_oneof![4 => consistent, 1 => wild].boxed()
}

fn op_name() -> BoxedStrategy<String> {
    let mut names: Vec<String> = gradd::ops::specs().iter().map(|s| s.name.to_string()).collect();
    names.extend(["", "Frobnicate", "matmul", "AddV2 "].map(String::from));
    prop::sample::select(names).boxed()
}

fn step() -> BoxedStrategy<pb::Step> {
    use pb::step::Kind as K;
    let tape_ref = || tape_name().prop_map(|tape| pb::TapeRef { tape });
    let kind = prop_oneof![
        1 => (name(), prop::option::of(tensor()), prop::option::of(any::<bool>()))
            .prop_map(|(r, value, trainable)| K::Variable(pb::VariableStep { r#ref: r, value, trainable })),
        1 => (name(), prop::option::weighted(0.95, tensor()))
            .prop_map(|(r, value)| K::Constant(pb::ConstantStep { r#ref: r, value })),
        1 => (tape_name(), any::<bool>(), prop::option::of(any::<bool>())).prop_map(|(tape, persistent, w)| {
            K::Tape(pb::TapeStep {
                tape,
                persistent,
                watch_accessed_variables: w,
                reenter: false,
            })
        }),
        1 => (tape_name(), names()).prop_map(|(tape, refs)| K::Watch(pb::WatchStep { tape, refs })),
        6 => (op_name(), names(), attrs(), names(), any::<bool>()).prop_map(|(op, inputs, attrs, outputs, quiet)| {
            K::Op(pb::OpStep {
                op,
                inputs,
                attrs,
                outputs,
                quiet,
            })
        }),
        1 => tape_ref().prop_map(K::Stop),
        1 => tape_ref().prop_map(K::Pause),
        1 => tape_ref().prop_map(K::Resume),
        1 => tape_ref().prop_map(K::Reset),
        2 => (
            tape_name(),
            names(),
            names(),
            prop::collection::vec(tensor(), 0..2),
            -1i32..3,
            names(),
            any::<bool>()
        )
            .prop_map(|(tape, targets, sources, output_gradients, unconnected, outputs, fetch)| {
                K::Gradient(pb::GradientStep {
                    tape,
                    targets,
                    sources,
                    output_gradients,
                    unconnected,
                    outputs,
                    fetch,
                })
            }),
        1 => (tape_name(), name(), names(), -1i32..3, names(), any::<bool>()).prop_map(
            |(tape, target, sources, unconnected, outputs, fetch)| {
                K::Jacobian(pb::JacobianStep {
                    tape,
                    target,
                    sources,
                    unconnected,
                    outputs,
                    fetch,
                })
            }
        ),
        1 => (tape_name(), name(), name(), name(), any::<bool>()).prop_map(|(tape, target, source, output, fetch)| {
            K::BatchJacobian(pb::BatchJacobianStep {
                tape,
                target,
                source,
                output,
                fetch,
            })
        }),
        1 => names().prop_map(|refs| K::Fetch(pb::FetchStep { refs })),
        1 => tape_ref().prop_map(K::WatchedVariables),
        1 => (
            name(),
            -1i32..4,
            prop::option::of(prop_oneof![
                tensor().prop_map(pb::assign_step::Source::Value),
                name().prop_map(pb::assign_step::Source::FromRef),
            ])
        )
            .prop_map(|(variable, mode, source)| K::Assign(pb::AssignStep { variable, mode, source })),
        1 => (names(), prop::collection::vec(tape_name(), 0..2))
            .prop_map(|(refs, tapes)| K::Release(pb::ReleaseStep { refs, tapes })),
    ];
    prop::option::weighted(0.98, kind)
        .prop_map(|kind| pb::Step { kind })
        .boxed()
}

fn request() -> BoxedStrategy<pb::RunRequest> {
    (prop::collection::vec(step(), 1..24), any::<bool>())
        .prop_map(|(steps, raw_results)| pb::RunRequest {
            session_id: String::new(),
            steps,
            raw_results,
        })
        .boxed()
}

fn constant_step(name: &str, t: pb::Tensor, variable: bool) -> Step {
    use pb::step::Kind as K;
    let kind = if variable {
        K::Variable(pb::VariableStep {
            r#ref: name.into(),
            value: Some(t),
            trainable: None,
        })
    } else {
        K::Constant(pb::ConstantStep {
            r#ref: name.into(),
            value: Some(t),
        })
    };
    step_from_pb(pb::Step { kind: Some(kind) }, LIMITS).expect("prelude step")
}

fn f32s(shape: &[i64], v: &[f32]) -> pb::Tensor {
    pb::Tensor {
        dtype: pb::DType::DtypeFloat32 as i32,
        shape: shape.to_vec(),
        float_val: v.to_vec(),
        ..Default::default()
    }
}

/// Well-formed values for the random steps to work on, so that many ops actually run: a
/// [2,3], b [3], c scalar (float32), i [2] int32 indices, v a [2,3] variable, w a float64 [3]
/// variable; and the known constant checked after failures.
fn prelude() -> Vec<Step> {
    let f64s = pb::Tensor {
        dtype: pb::DType::DtypeFloat64 as i32,
        shape: vec![3],
        double_val: vec![0.5, -1.0, 2.0],
        ..Default::default()
    };
    let idx = pb::Tensor {
        dtype: pb::DType::DtypeInt32 as i32,
        shape: vec![2],
        int_val: vec![1, 0],
        ..Default::default()
    };
    vec![
        constant_step(GOOD, f32s(&[2], &[1.5, -2.5]), false),
        constant_step("a", f32s(&[2, 3], &[1.0, -2.0, 0.5, 3.0, 0.0, -1.5]), false),
        constant_step("b", f32s(&[3], &[0.25, 2.0, -1.0]), false),
        constant_step("c", f32s(&[], &[1.5]), false),
        constant_step("i", idx, false),
        constant_step("v", f32s(&[2, 3], &[0.1, 0.2, 0.3, -0.4, -0.5, 0.6]), true),
        constant_step("w", f64s, true),
    ]
}

fn fetch_good(s: &mut Session) -> Result<(), TestCaseError> {
    let out = s
        .run_step(Step::Fetch {
            refs: vec![GOOD.into()],
        })
        .map_err(|e| TestCaseError::fail(format!("the session lost its constant: {e}")))?;
    let t = out.values.first().and_then(|v| v.tensor.as_ref());
    let v = t.map(|t| t.to_f64_vec());
    prop_assert_eq!(v, Some(vec![1.5, -2.5]));
    Ok(())
}

/// Where steps panicked: site -> (message, hits, the shortest request prefix that got there).
type Panics = RefCell<BTreeMap<String, (String, usize, String)>>;

thread_local! {
    static PANIC_SITE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records the panic location instead of printing it (the test reports every site at the end).
fn quiet_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let site = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PANIC_SITE.with(|p| *p.borrow_mut() = site);
    }));
}

fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic)".into())
}

/// Decodes, validates and runs every step of `req` on a fresh session with a budget. A panic
/// is recorded in `panics` and ends the case (the session may be inconsistent after it).
fn run_request(req: pb::RunRequest, panics: &Panics) -> Result<(usize, usize), TestCaseError> {
    let mut s = Session::with_budget(BUDGET);
    for st in prelude() {
        s.run_step(st).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let (mut ran, mut failed) = (0, 0);
    for (k, st) in req.steps.iter().enumerate() {
        let ok = match step_from_pb(st.clone(), LIMITS) {
            Err(_) => false,
            Ok(step) => {
                let r = std::panic::catch_unwind(AssertUnwindSafe(|| s.run_limited(step)));
                let r = match r {
                    Ok(r) => r,
                    Err(p) => {
                        let site = PANIC_SITE.with(|x| x.borrow().clone());
                        let example = format!("{:?}", &req.steps[..=k]);
                        let mut m = panics.borrow_mut();
                        let e = m
                            .entry(site)
                            .or_insert_with(|| (payload_text(&*p), 0, example.clone()));
                        e.1 += 1;
                        if example.len() < e.2.len() {
                            e.2 = example;
                        }
                        return Ok((ran, failed + 1));
                    }
                };
                let bytes = s.usage().bytes;
                prop_assert!(
                    bytes <= BUDGET,
                    "session left at {} bytes, budget {}",
                    bytes,
                    BUDGET
                );
                r.is_ok()
            }
        };
        if ok {
            ran += 1;
        } else {
            failed += 1;
            fetch_good(&mut s)?;
        }
    }
    fetch_good(&mut s)?;
    Ok((ran, failed))
}

#[test]
fn fuzz_decode_validate_execute_never_panics() {
    in_limited_child("fuzz_decode_validate_execute_never_panics", || {
        let start = Instant::now();
        let cases = std::env::var("FUZZ_RUN_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let totals = std::cell::Cell::new((0usize, 0usize));
        let panics: Panics = RefCell::new(BTreeMap::new());
        quiet_panic_hook();
        let res = runner.run(&request(), |req| {
            let (r, f) = run_request(req, &panics)?;
            let (a, b) = totals.get();
            totals.set((a + r, b + f));
            Ok(())
        });
        let _ = std::panic::take_hook();
        let (ran, failed) = totals.get();
        println!(
            "fuzz_run: {cases} cases, {ran} steps ran, {failed} steps failed, {} panic sites, {:.1?}",
            panics.borrow().len(),
            start.elapsed()
        );
        if let Err(e) = res {
            panic!("{e}");
        }
        let panics = panics.into_inner();
        let report: Vec<String> = (panics.iter())
            .map(|(site, (msg, n, ex))| format!("{site}: {msg} ({n} hits)\n    e.g. steps {ex}"))
            .collect();
        assert!(report.is_empty(), "steps panicked:\n{}", report.join("\n"));
        assert!(
            ran > 0 && failed > 0,
            "the generator never ran or never failed a step"
        );
    });
}

/// Encodes a request, corrupts it (bit flips, overwrites, truncation, insertion), decodes
/// what prost accepts and converts every step: never a panic. (Decoded steps are converted,
/// not run: corrupted attrs can ask for huge outputs, the abort covered in
/// production_limits.rs.)
#[test]
fn fuzz_mutated_encodings_never_panic() {
    in_limited_child("fuzz_mutated_encodings_never_panic", || {
        let start = Instant::now();
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        // Mostly single-bit flips (which keep most encodings decodable), some overwrites,
        // truncations and insertions.
        let edits = prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..8), 1..3);
        let decoded = std::cell::Cell::new(0usize);
        let res = runner.run(&(request(), edits), |(req, edits)| {
            let mut bytes = prost::Message::encode_to_vec(&req);
            for (pos, val, how) in edits {
                let i = if bytes.is_empty() { 0 } else { pos % bytes.len() };
                match how {
                    _ if bytes.is_empty() => bytes.push(val),
                    0..=4 => bytes[i] ^= 1 << (val % 8),
                    5 => bytes[i] = val,
                    6 => bytes.truncate(i),
                    _ => bytes.insert(i, val),
                }
            }
            if let Ok(m) = <pb::RunRequest as prost::Message>::decode(bytes.as_slice()) {
                decoded.set(decoded.get() + 1);
                for st in m.steps {
                    let _ = step_from_pb(st, LIMITS);
                }
            }
            Ok(())
        });
        println!(
            "fuzz_run mutations: {CASES} cases, {} decoded, {:.1?}",
            decoded.get(),
            start.elapsed()
        );
        if let Err(e) = res {
            panic!("{e}");
        }
    });
}
