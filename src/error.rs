//! The one domain error of the engine. The service maps it to `tonic::Status` in exactly one
//! place (`service::status`), exhaustively.

use thiserror::Error;

/// Everything a client request can get wrong, or that can go wrong serving it.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// Bad input: shapes, dtypes, attrs, malformed tensors or steps.
    #[error("{0}")]
    InvalidArgument(String),
    /// A ref, tape or session that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The call is valid but the state does not allow it (consumed tape, ...).
    #[error("{0}")]
    FailedPrecondition(String),
    /// A limit was hit (memory budget, tensor size, ...).
    #[error("{0}")]
    ResourceExhausted(String),
    /// Something already exists (a client-chosen session id).
    #[error("{0}")]
    AlreadyExists(String),
    /// The op or feature is not implemented.
    #[error("{0}")]
    Unimplemented(String),
    /// The client's deadline passed while the request was running.
    #[error("{0}")]
    DeadlineExceeded(String),
    /// A bug in gradd: should never happen, reported instead of panicking.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Prefixes the message with context ("step 3 (op y)"), keeping the kind.
    pub fn context(self, ctx: impl std::fmt::Display) -> Error {
        let wrap = |m: String| format!("{ctx}: {m}");
        match self {
            Error::InvalidArgument(m) => Error::InvalidArgument(wrap(m)),
            Error::NotFound(m) => Error::NotFound(wrap(m)),
            Error::FailedPrecondition(m) => Error::FailedPrecondition(wrap(m)),
            Error::ResourceExhausted(m) => Error::ResourceExhausted(wrap(m)),
            Error::AlreadyExists(m) => Error::AlreadyExists(wrap(m)),
            Error::Unimplemented(m) => Error::Unimplemented(wrap(m)),
            Error::DeadlineExceeded(m) => Error::DeadlineExceeded(wrap(m)),
            Error::Internal(m) => Error::Internal(wrap(m)),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for an `InvalidArgument` error with a formatted message.
#[macro_export]
macro_rules! invalid {
    ($($arg:tt)*) => { $crate::error::Error::InvalidArgument(format!($($arg)*)) };
}
