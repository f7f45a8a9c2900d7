//! The one mapping from the domain error to `tonic::Status` (exhaustive, no `_` arm). Every
//! status carries google.rpc details: an ErrorInfo (reason, domain, and for a failed step its
//! index, kind and ref) and, for bad input in a step, a BadRequest field violation pointing at
//! `steps[i]`.

use crate::error::Error;
use crate::proto as pb;
use std::collections::HashMap;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The ErrorInfo domain of every gradd error.
pub const DOMAIN: &str = "gradd.v1";

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

/// gRPC's canonical name for a code (also the ErrorInfo reason).
pub fn code_name(c: Code) -> &'static str {
    use tonic::Code as C;
    match c {
        C::Ok => "OK",
        C::Cancelled => "CANCELLED",
        C::Unknown => "UNKNOWN",
        C::InvalidArgument => "INVALID_ARGUMENT",
        C::DeadlineExceeded => "DEADLINE_EXCEEDED",
        C::NotFound => "NOT_FOUND",
        C::AlreadyExists => "ALREADY_EXISTS",
        C::PermissionDenied => "PERMISSION_DENIED",
        C::ResourceExhausted => "RESOURCE_EXHAUSTED",
        C::FailedPrecondition => "FAILED_PRECONDITION",
        C::Aborted => "ABORTED",
        C::OutOfRange => "OUT_OF_RANGE",
        C::Unimplemented => "UNIMPLEMENTED",
        C::Internal => "INTERNAL",
        C::Unavailable => "UNAVAILABLE",
        C::DataLoss => "DATA_LOSS",
        C::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn with_details(code: Code, message: String, meta: HashMap<String, String>, field: Option<String>) -> Status {
    let mut d = ErrorDetails::with_error_info(code_name(code), DOMAIN, meta);
    if let Some(f) = field {
        d.add_bad_request_violation(f, message.clone());
    }
    Status::with_error_details(code, message, d)
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        with_details(code_of(&e), e.to_string(), HashMap::new(), None)
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
        let code = code_of(&self.error);
        let meta = HashMap::from([
            ("step_index".to_string(), self.index.to_string()),
            ("step_kind".to_string(), self.kind.to_string()),
            ("ref".to_string(), self.subject.clone()),
        ]);
        let field = (code == Code::InvalidArgument).then(|| format!("steps[{}].{}", self.index, self.kind));
        with_details(code, self.message(), meta, field)
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
