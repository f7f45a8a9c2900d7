"""Exceptions, named like tf.errors, raised for failed steps and calls."""
import grpc


class GraddError(Exception):
    """A step or call failed. `code` is the gRPC status code; for a failed step, `step_index`,
    `step_kind`, `ref` and the Python line that queued it (`filename`, `lineno`) are set."""

    code = None

    def __init__(self, message, *, code=None, step_index=None, step_kind=None, ref=None,
                 filename=None, lineno=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.step_index = step_index
        self.step_kind = step_kind
        self.ref = ref
        self.filename = filename
        self.lineno = lineno


class CancelledError(GraddError):
    code = grpc.StatusCode.CANCELLED


class UnknownError(GraddError):
    code = grpc.StatusCode.UNKNOWN


class InvalidArgumentError(GraddError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceededError(GraddError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFoundError(GraddError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(GraddError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDeniedError(GraddError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhaustedError(GraddError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPreconditionError(GraddError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class AbortedError(GraddError):
    code = grpc.StatusCode.ABORTED


class OutOfRangeError(GraddError):
    code = grpc.StatusCode.OUT_OF_RANGE


class UnimplementedError(GraddError):
    code = grpc.StatusCode.UNIMPLEMENTED


class InternalError(GraddError):
    code = grpc.StatusCode.INTERNAL


class UnavailableError(GraddError):
    code = grpc.StatusCode.UNAVAILABLE


class DataLossError(GraddError):
    code = grpc.StatusCode.DATA_LOSS


class UnauthenticatedError(GraddError):
    code = grpc.StatusCode.UNAUTHENTICATED


class TapeConsumedError(FailedPreconditionError, RuntimeError):
    """A second gradient or jacobian on a non-persistent tape. Raised by the client, before
    anything is sent: a RuntimeError like TensorFlow's, and the FailedPreconditionError the
    server answers for it."""


class SessionLostError(NotFoundError):
    """The server no longer knows the session (expired, deleted or the server restarted):
    everything it held is gone. Open a new Session (gradd.reset_default_session() for the
    default one)."""


_BY_CODE = {cls.code: cls for cls in (
    CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError, NotFoundError,
    AlreadyExistsError, PermissionDeniedError, ResourceExhaustedError, FailedPreconditionError,
    AbortedError, OutOfRangeError, UnimplementedError, InternalError, UnavailableError,
    DataLossError, UnauthenticatedError)}


def class_for_code(code):
    return _BY_CODE.get(code, GraddError)
