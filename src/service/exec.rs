//! Runs a Run's wire steps, in order, on one locked session. A batch starts on the thread that
//! decoded the request while its steps are certainly small (`Session::is_light`: the hand-off
//! to a compute thread costs more than the seed cell's math), and the rest of the batch goes
//! to the blocking pool at the first step that might not be. The session stays locked across
//! the hand-off, so a Run is still atomic with respect to other requests on its session.

use super::convert::{self, DecodeLimits};
use super::status::StepFailure;
use crate::error::Error;
use crate::proto as pb;
use crate::session::Step;
use crate::session::store::SessionCell;
use std::time::Instant;

/// What one batch did: results, or the failed step, plus step counts for metrics.
pub(super) struct Batch {
    pub result: Result<Vec<pb::StepResult>, StepFailure>,
    pub counts: Vec<(&'static str, u64)>,
}

/// Whether `Exec::advance` finished the batch or stopped before a step that is not light.
pub(super) enum Progress {
    Done,
    Heavy,
}

/// A decoded step: its index, kind, whether its result may be empty (OpStep.quiet), the step.
type Next = (usize, &'static str, bool, Step);

/// A batch in progress.
pub(super) struct Exec {
    steps: std::iter::Enumerate<std::vec::IntoIter<pb::Step>>,
    /// A step decoded on the reactor that was not light: the compute thread runs it first.
    carried: Option<Next>,
    results: Vec<pb::StepResult>,
    counts: Vec<(&'static str, u64)>,
    failure: Option<StepFailure>,
    limits: DecodeLimits,
    raw: bool,
    deadline: Option<Instant>,
}

impl Exec {
    pub fn new(steps: Vec<pb::Step>, limits: DecodeLimits, raw: bool, deadline: Option<Instant>) -> Exec {
        Exec {
            results: Vec::with_capacity(steps.len()),
            steps: steps.into_iter().enumerate(),
            carried: None,
            counts: Vec::new(),
            failure: None,
            limits,
            raw,
            deadline,
        }
    }

    fn count(&mut self, k: &'static str) {
        match self.counts.iter_mut().find(|(n, _)| *n == k) {
            Some((_, c)) => *c += 1,
            None => self.counts.push((k, 1)),
        }
    }

    /// The next step, decoded; None at the end of the batch or after a failure.
    fn next_step(&mut self) -> Option<Next> {
        if let Some(c) = self.carried.take() {
            return Some(c);
        }
        let (index, s) = self.steps.next()?;
        let kind = convert::step_kind_pb(&s);
        let fail = |error| StepFailure {
            index,
            kind,
            subject: String::new(),
            error,
        };
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.failure = Some(fail(Error::DeadlineExceeded(
                "the client's deadline passed before this step".into(),
            )));
            return None;
        }
        let quiet = match &s.kind {
            // Only registered op names become metric labels: a client sending made-up names
            // must not grow the label set (and the memory behind it) without bound.
            Some(pb::step::Kind::Op(o)) => {
                self.count(crate::ops::spec(&o.op).map_or("unknown_op", |sp| sp.name));
                o.quiet
            }
            _ => {
                self.count(kind);
                false
            }
        };
        match convert::step_from_pb(s, self.limits) {
            Ok(st) => Some((index, kind, quiet, st)),
            Err(error) => {
                self.failure = Some(fail(error));
                None
            }
        }
    }

    /// Runs steps until the batch ends or fails. With `light_max`, stops (and returns Heavy)
    /// before the first step that might take more than that many work units, or at once if
    /// the session is too big for its end-of-Run bookkeeping to be cheap.
    pub fn advance(
        &mut self,
        cell: &SessionCell,
        session: &mut crate::session::Session,
        light_max: Option<usize>,
    ) -> Progress {
        if light_max.is_some() && !session.is_small() {
            return Progress::Heavy;
        }
        while let Some((index, kind, quiet, step)) = self.next_step() {
            if let Some(max) = light_max
                && !session.is_light(&step, max)
            {
                self.carried = Some((index, kind, quiet, step));
                return Progress::Heavy;
            }
            let subject = step.subject();
            // A panic in an op is a bug; it must not take the session or the server down,
            // and the client gets INTERNAL for this step rather than a dropped connection.
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.run_limited(step)));
            let ran = ran.unwrap_or_else(|_| {
                Err(Error::Internal(
                    "the step panicked (a bug in gradd; please report it)".into(),
                ))
            });
            match ran {
                Ok(_) if quiet => self.results.push(pb::StepResult::default()),
                Ok(out) => self.results.push(convert::output_to_pb(out, self.raw)),
                Err(error) => {
                    self.failure = Some(StepFailure {
                        index,
                        kind,
                        subject,
                        error,
                    });
                    break;
                }
            }
        }
        cell.usage_changed();
        // A long Run renews the TTL when it ends too, so the session never expires under it.
        cell.touch();
        Progress::Done
    }

    pub fn finish(self) -> Batch {
        Batch {
            result: match self.failure {
                Some(f) => Err(f),
                None => Ok(self.results),
            },
            counts: self.counts,
        }
    }
}
