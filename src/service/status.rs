//! The one mapping from the domain error to `tonic::Status` (exhaustive, no `_` arm), and the
//! step context every Run error carries.

use crate::error::Error;
use crate::proto as pb;
use tonic::{Code, Status};

pub fn code_of(e: &Error) -> Code {
    match e {
        Error::InvalidArgument(_) => Code::InvalidArgument,
        Error::NotFound(_) => Code::NotFound,
        Error::FailedPrecondition(_) => Code::FailedPrecondition,
        Error::ResourceExhausted(_) => Code::ResourceExhausted,
        Error::AlreadyExists(_) => Code::AlreadyExists,
        Error::Unimplemented(_) => Code::Unimplemented,
        Error::DeadlineExceeded(_) => Code::DeadlineExceeded,
        Error::Internal(_) => Code::Internal,
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        Status::new(code_of(&e), e.to_string())
    }
}

/// A failed step: which one, of what kind, about which ref, and why.
#[derive(Debug, Clone)]
pub struct StepFailure {
    pub index: usize,
    pub kind: &'static str,
    pub subject: String,
    pub error: Error,
}

impl StepFailure {
    pub fn message(&self) -> String {
        format!(
            "step {} ({} {}): {}",
            self.index, self.kind, self.subject, self.error
        )
    }

    pub fn to_status(&self) -> Status {
        Status::new(code_of(&self.error), self.message())
    }

    pub fn to_pb(&self) -> pb::StepError {
        pb::StepError {
            code: code_of(&self.error) as i32,
            message: self.message(),
            step_index: self.index as u32,
            step_kind: self.kind.to_string(),
            r#ref: self.subject.clone(),
        }
    }
}
