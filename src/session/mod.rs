//! Session: everything one client holds (refs, variables, tapes) and the executor that runs
//! steps on it. A session is used by one request at a time (the store serializes access).

mod assign;
mod cost;
mod differentiate;
mod graph;
mod step;
pub mod store;

pub use step::{AssignMode, AssignSource, Step, StepOutput, Value};
pub use store::{SessionStore, StoreConfig};

use crate::error::{Error, Result};
use crate::invalid;
use crate::ops::{self, Handle, TensorId};
use crate::tape::{self, Tape};
use crate::tensor::Tensor;
use graph::Recorder;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use smallvec::SmallVec;

/// What a ref names.
#[derive(Clone, Debug)]
enum Slot {
    Tensor(Handle),
    Variable(TensorId),
}

#[derive(Debug)]
struct Variable {
    name: String,
    /// The variable's id and current value (kept as a handle so op inputs can borrow it).
    handle: Handle,
    trainable: bool,
}

#[derive(Debug, Default)]
pub struct Session {
    refs: HashMap<String, Slot>,
    vars: HashMap<TensorId, Variable>,
    tape_ids: HashMap<String, u64>,
    rec: Recorder,
    /// Memory budget in bytes (None = unlimited) and an upper bound of what is held, so the
    /// exact (deduplicating) count only runs when the bound could cross the budget.
    budget: Option<usize>,
    held_bound: usize,
}

fn not_found(what: &str, name: &str) -> Error {
    Error::NotFound(format!("unknown {what} {name:?}"))
}

/// The handle a ref names now (a variable's current value for a variable), borrowed. A free
/// function over the two maps so the caller can hold it while it mutates the recorder.
fn lookup<'a>(
    refs: &'a HashMap<String, Slot>,
    vars: &'a HashMap<TensorId, Variable>,
    name: &str,
) -> Result<&'a Handle> {
    match refs.get(name) {
        Some(Slot::Tensor(h)) => Ok(h),
        Some(Slot::Variable(id)) => (vars.get(id))
            .map(|v| &v.handle)
            .ok_or_else(|| not_found("variable", name)),
        None => Err(not_found("ref", name)),
    }
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// A session that may hold at most `bytes` of tensor data (refs, variables and tapes).
    pub fn with_budget(bytes: usize) -> Session {
        Session {
            budget: Some(bytes),
            ..Session::default()
        }
    }

    /// Runs one step and enforces the memory budget: a step that leaves the session over it
    /// fails with RESOURCE_EXHAUSTED, and the refs it bound are released.
    pub fn run_limited(&mut self, step: Step) -> Result<StepOutput> {
        let Some(budget) = self.budget else {
            return self.run_step(step);
        };
        let bound: Vec<String> = match &step {
            Step::Op { outputs, .. } | Step::Gradient { outputs, .. } | Step::Jacobian { outputs, .. } => {
                outputs.clone()
            }
            Step::Variable { name, .. } | Step::Constant { name, .. } => vec![name.clone()],
            Step::BatchJacobian { output, .. } => vec![output.clone()],
            _ => vec![],
        };
        // Gradients may record intermediate tensors on outer tapes that no output shows.
        let exact = matches!(
            step,
            Step::Gradient { .. } | Step::Jacobian { .. } | Step::BatchJacobian { .. }
        );
        let fetch = matches!(step, Step::Fetch { .. });
        let out = self.run_step(step)?;
        if !fetch {
            let added: usize = out
                .values
                .iter()
                .filter_map(|v| v.tensor.as_ref())
                .map(Tensor::nbytes)
                .sum();
            self.held_bound = self.held_bound.saturating_add(added);
        }
        if !exact && self.held_bound <= budget {
            return Ok(out);
        }
        self.held_bound = self.usage().bytes;
        if self.held_bound <= budget {
            return Ok(out);
        }
        let over = self.held_bound;
        for name in bound.iter().filter(|n| !n.is_empty()) {
            self.unbind(name);
        }
        self.held_bound = self.usage().bytes;
        Err(Error::ResourceExhausted(format!(
            "session memory budget exceeded: the step would leave {over} bytes held (budget {budget}); \
             its outputs were released; release refs or tapes you no longer need"
        )))
    }

    /// Runs one step. On error nothing of the step is left half-done that would matter: the
    /// session stays usable.
    pub fn run_step(&mut self, step: Step) -> Result<StepOutput> {
        match step {
            Step::Variable {
                name,
                value,
                trainable,
            } => {
                let id = self.rec.fresh_id();
                let shape_only = value.clone();
                self.vars.insert(
                    id,
                    Variable {
                        name: name.clone(),
                        handle: Handle { id, value },
                        trainable,
                    },
                );
                self.bind(name.clone(), Slot::Variable(id));
                Ok(one(name, Some(shape_only), false))
            }
            Step::Constant { name, value } => {
                let h = self.rec.constant_handle(value);
                self.bind(name.clone(), Slot::Tensor(h.clone()));
                Ok(one(name, Some(h.value), false))
            }
            Step::Reenter {
                tape,
                persistent,
                watch_accessed_variables,
            } => {
                if let Some(&id) = self.tape_ids.get(&tape)
                    && let Ok(t) = self.rec.tape_mut(id)
                    && !t.consumed
                {
                    t.paused = false;
                    self.rec.activate(id);
                    return Ok(StepOutput::default());
                }
                self.run_step(Step::Tape {
                    tape,
                    persistent,
                    watch_accessed_variables,
                })
            }
            Step::Tape {
                tape,
                persistent,
                watch_accessed_variables,
            } => {
                if let Some(old) = self.tape_ids.remove(&tape) {
                    self.rec.remove_tape(old);
                }
                let id = self
                    .rec
                    .push_tape(Tape::new(persistent, watch_accessed_variables));
                self.tape_ids.insert(tape, id);
                Ok(StepOutput::default())
            }
            Step::Watch { tape, refs } => {
                let tid = self.tape_id(&tape)?;
                let handles = refs.iter().map(|r| self.resolve(r)).collect::<Result<Vec<_>>>()?;
                let t = self.rec.tape_mut(tid)?;
                for (h, var) in handles {
                    match var {
                        Some(name) => t.watch_variable(h.id, &name),
                        None => t.watch(h.id),
                    }
                }
                Ok(StepOutput::default())
            }
            Step::Op {
                op,
                inputs,
                attrs,
                outputs,
            } => self.run_op(&op, &inputs, &attrs, outputs),
            Step::Stop { tape } => {
                let tid = self.tape_id(&tape)?;
                self.rec.deactivate(tid);
                Ok(StepOutput::default())
            }
            Step::Pause { tape } => self.set_paused(&tape, true),
            Step::Resume { tape } => self.set_paused(&tape, false),
            Step::Reset { tape } => {
                let tid = self.tape_id(&tape)?;
                self.rec.tape_mut(tid)?.reset();
                Ok(StepOutput::default())
            }
            Step::Gradient {
                tape,
                targets,
                sources,
                output_gradients,
                unconnected_zero,
                outputs,
                fetch,
            } => {
                let tid = self.tape_id(&tape)?;
                let targets = self.handles(&targets)?;
                let src = self.handles(&sources)?;
                let (entries, tracked) = self.begin_gradient(tid, &tape)?;
                let res = tape::gradient(
                    &mut self.rec,
                    &entries,
                    &tracked,
                    &targets,
                    &src,
                    &output_gradients,
                    unconnected_zero,
                );
                self.end_gradient(tid);
                self.bind_results(res?, &sources, &outputs, fetch)
            }
            Step::Jacobian {
                tape,
                target,
                sources,
                unconnected_zero,
                outputs,
                fetch,
            } => {
                let tid = self.tape_id(&tape)?;
                let t = self.jacobian_target(tid, &target)?;
                let src = self.handles(&sources)?;
                let (entries, tracked) = self.begin_gradient(tid, &tape)?;
                let res = tape::jacobian(&mut self.rec, &entries, &tracked, &t, &src, unconnected_zero);
                self.end_gradient(tid);
                self.bind_results(res?, &sources, &outputs, fetch)
            }
            Step::BatchJacobian {
                tape,
                target,
                source,
                output,
                fetch,
            } => {
                let tid = self.tape_id(&tape)?;
                let t = self.jacobian_target(tid, &target)?;
                let s = self.handle(&source)?;
                tape::check_batch_jacobian(&t, &s)?;
                let (entries, tracked) = self.begin_gradient(tid, &tape)?;
                let res = tape::batch_jacobian(&mut self.rec, &entries, &tracked, &t, &s);
                self.end_gradient(tid);
                self.bind_results(vec![res?], &[source], &[output], fetch)
            }
            Step::Fetch { refs } => {
                let mut out = StepOutput::default();
                for r in refs {
                    let h = self.handle(&r)?;
                    out.values.push(Value {
                        name: r,
                        tensor: Some(h.value),
                        fetched: true,
                    });
                }
                Ok(out)
            }
            Step::WatchedVariables { tape } => {
                let tid = self.tape_id(&tape)?;
                let variables = self.rec.tape(tid)?.watched_variables();
                Ok(StepOutput {
                    values: vec![],
                    variables,
                })
            }
            Step::Assign {
                variable,
                mode,
                source,
            } => self.assign(&variable, mode, source),
            Step::Release { refs, tapes } => {
                for r in refs {
                    self.unbind(&r);
                }
                for t in tapes {
                    if let Some(id) = self.tape_ids.remove(&t) {
                        self.rec.remove_tape(id);
                    }
                }
                Ok(StepOutput::default())
            }
        }
    }

    fn set_paused(&mut self, tape: &str, paused: bool) -> Result<StepOutput> {
        let tid = self.tape_id(tape)?;
        self.rec.tape_mut(tid)?.paused = paused;
        Ok(StepOutput::default())
    }

    fn tape_id(&self, name: &str) -> Result<u64> {
        self.tape_ids
            .get(name)
            .copied()
            .ok_or_else(|| not_found("tape", name))
    }

    /// Binds `name`, dropping what it named before (a variable dies with its ref).
    fn bind(&mut self, name: String, slot: Slot) {
        if let Some(Slot::Variable(old)) = self.refs.insert(name, slot) {
            self.vars.remove(&old);
        }
    }

    fn unbind(&mut self, name: &str) {
        if let Some(Slot::Variable(old)) = self.refs.remove(name) {
            self.vars.remove(&old);
        }
    }

    /// The handle a ref names now, and the variable's name if it is a variable.
    fn resolve(&self, name: &str) -> Result<(Handle, Option<String>)> {
        let h = self.handle(name)?;
        let var = self.vars.get(&h.id).map(|v| v.name.clone());
        Ok((h, var))
    }

    /// The handle a ref names now (a variable's current value for a variable).
    fn handle(&self, name: &str) -> Result<Handle> {
        lookup(&self.refs, &self.vars, name).cloned()
    }

    fn handles(&self, names: &[String]) -> Result<Vec<Handle>> {
        names.iter().map(|n| self.handle(n)).collect()
    }

    fn run_op(
        &mut self,
        op: &str,
        inputs: &[String],
        attrs: &ops::AttrMap,
        outputs: Vec<String>,
    ) -> Result<StepOutput> {
        let o = ops::build(op, attrs, inputs.len())?;
        // The inputs are borrowed from the refs and variables (only the recorder is mutated
        // while they are held), so a step clones a tensor only where a tape saves it.
        let mut refs: SmallVec<[&Handle; 4]> = SmallVec::with_capacity(inputs.len());
        for r in inputs {
            let h = lookup(&self.refs, &self.vars, r)?;
            assign::read_variable(&mut self.rec, &self.vars, h.id);
            refs.push(h);
        }
        let result = ops::Graph::run(&mut self.rec, o, &refs).map_err(|e| e.context(op))?;
        drop(refs);
        if outputs.len() > result.len() {
            return Err(invalid!(
                "{op} has {} outputs, {} refs were given",
                result.len(),
                outputs.len()
            ));
        }
        let mut out = StepOutput {
            values: Vec::with_capacity(outputs.len()),
            ..StepOutput::default()
        };
        for (name, h) in outputs.into_iter().zip(result) {
            if name.is_empty() {
                continue;
            }
            out.values.push(Value {
                name: name.clone(),
                tensor: Some(h.value.clone()),
                fetched: false,
            });
            self.bind(name, Slot::Tensor(h));
        }
        Ok(out)
    }

    /// Exact usage, also tightening the bound the budget check uses.
    pub fn refresh_usage(&mut self) -> Usage {
        let u = self.usage();
        self.held_bound = u.bytes;
        u
    }

    /// Counts refs, tapes and the bytes of every distinct tensor held (saved tensors included).
    pub fn usage(&self) -> Usage {
        let mut seen: HashSet<TensorId> = HashSet::default();
        let mut bytes = 0usize;
        let mut add = |h: &Handle| {
            if seen.insert(h.id) {
                bytes += h.value.nbytes();
            }
        };
        for s in self.refs.values() {
            if let Slot::Tensor(h) = s {
                add(h);
            }
        }
        for v in self.vars.values() {
            add(&v.handle);
        }
        for t in self.rec.tapes() {
            for h in t.saved() {
                add(h);
            }
        }
        Usage {
            refs: self.refs.len(),
            tapes: self.tape_ids.len(),
            bytes,
        }
    }
}

/// What a session holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub refs: usize,
    pub tapes: usize,
    pub bytes: usize,
}

fn one(name: String, tensor: Option<Tensor>, fetched: bool) -> StepOutput {
    StepOutput {
        values: vec![Value {
            name,
            tensor,
            fetched,
        }],
        variables: vec![],
    }
}
