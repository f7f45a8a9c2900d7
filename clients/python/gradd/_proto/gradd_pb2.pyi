from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DTYPE_UNSPECIFIED: _ClassVar[DType]
    DTYPE_FLOAT32: _ClassVar[DType]
    DTYPE_FLOAT64: _ClassVar[DType]
    DTYPE_INT32: _ClassVar[DType]
    DTYPE_INT64: _ClassVar[DType]
    DTYPE_BOOL: _ClassVar[DType]

class Unconnected(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNCONNECTED_NONE: _ClassVar[Unconnected]
    UNCONNECTED_ZERO: _ClassVar[Unconnected]

class AssignMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSIGN_MODE_ASSIGN: _ClassVar[AssignMode]
    ASSIGN_MODE_ADD: _ClassVar[AssignMode]
    ASSIGN_MODE_SUB: _ClassVar[AssignMode]
DTYPE_UNSPECIFIED: DType
DTYPE_FLOAT32: DType
DTYPE_FLOAT64: DType
DTYPE_INT32: DType
DTYPE_INT64: DType
DTYPE_BOOL: DType
UNCONNECTED_NONE: Unconnected
UNCONNECTED_ZERO: Unconnected
ASSIGN_MODE_ASSIGN: AssignMode
ASSIGN_MODE_ADD: AssignMode
ASSIGN_MODE_SUB: AssignMode

class CreateSessionRequest(_message.Message):
    __slots__ = ("session_id", "ttl_seconds")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    ttl_seconds: int
    def __init__(self, session_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class KeepAliveRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class DeleteSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class DeleteSessionResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "ttl_seconds", "expires_in_seconds", "refs", "tapes", "bytes")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REFS_FIELD_NUMBER: _ClassVar[int]
    TAPES_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    ttl_seconds: int
    expires_in_seconds: float
    refs: int
    tapes: int
    bytes: int
    def __init__(self, session_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ..., expires_in_seconds: _Optional[float] = ..., refs: _Optional[int] = ..., tapes: _Optional[int] = ..., bytes: _Optional[int] = ...) -> None: ...

class Tensor(_message.Message):
    __slots__ = ("dtype", "shape", "float_val", "double_val", "int_val", "int64_val", "bool_val", "raw")
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    FLOAT_VAL_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VAL_FIELD_NUMBER: _ClassVar[int]
    INT_VAL_FIELD_NUMBER: _ClassVar[int]
    INT64_VAL_FIELD_NUMBER: _ClassVar[int]
    BOOL_VAL_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    dtype: DType
    shape: _containers.RepeatedScalarFieldContainer[int]
    float_val: _containers.RepeatedScalarFieldContainer[float]
    double_val: _containers.RepeatedScalarFieldContainer[float]
    int_val: _containers.RepeatedScalarFieldContainer[int]
    int64_val: _containers.RepeatedScalarFieldContainer[int]
    bool_val: _containers.RepeatedScalarFieldContainer[bool]
    raw: bytes
    def __init__(self, dtype: _Optional[_Union[DType, str]] = ..., shape: _Optional[_Iterable[int]] = ..., float_val: _Optional[_Iterable[float]] = ..., double_val: _Optional[_Iterable[float]] = ..., int_val: _Optional[_Iterable[int]] = ..., int64_val: _Optional[_Iterable[int]] = ..., bool_val: _Optional[_Iterable[bool]] = ..., raw: _Optional[bytes] = ...) -> None: ...

class RunRequest(_message.Message):
    __slots__ = ("session_id", "steps", "raw_results")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    RAW_RESULTS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    raw_results: bool
    def __init__(self, session_id: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., raw_results: _Optional[bool] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("variable", "constant", "tape", "watch", "op", "stop", "pause", "resume", "reset", "gradient", "jacobian", "batch_jacobian", "fetch", "watched_variables", "assign", "release")
    VARIABLE_FIELD_NUMBER: _ClassVar[int]
    CONSTANT_FIELD_NUMBER: _ClassVar[int]
    TAPE_FIELD_NUMBER: _ClassVar[int]
    WATCH_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    RESUME_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_FIELD_NUMBER: _ClassVar[int]
    JACOBIAN_FIELD_NUMBER: _ClassVar[int]
    BATCH_JACOBIAN_FIELD_NUMBER: _ClassVar[int]
    FETCH_FIELD_NUMBER: _ClassVar[int]
    WATCHED_VARIABLES_FIELD_NUMBER: _ClassVar[int]
    ASSIGN_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    variable: VariableStep
    constant: ConstantStep
    tape: TapeStep
    watch: WatchStep
    op: OpStep
    stop: TapeRef
    pause: TapeRef
    resume: TapeRef
    reset: TapeRef
    gradient: GradientStep
    jacobian: JacobianStep
    batch_jacobian: BatchJacobianStep
    fetch: FetchStep
    watched_variables: TapeRef
    assign: AssignStep
    release: ReleaseStep
    def __init__(self, variable: _Optional[_Union[VariableStep, _Mapping]] = ..., constant: _Optional[_Union[ConstantStep, _Mapping]] = ..., tape: _Optional[_Union[TapeStep, _Mapping]] = ..., watch: _Optional[_Union[WatchStep, _Mapping]] = ..., op: _Optional[_Union[OpStep, _Mapping]] = ..., stop: _Optional[_Union[TapeRef, _Mapping]] = ..., pause: _Optional[_Union[TapeRef, _Mapping]] = ..., resume: _Optional[_Union[TapeRef, _Mapping]] = ..., reset: _Optional[_Union[TapeRef, _Mapping]] = ..., gradient: _Optional[_Union[GradientStep, _Mapping]] = ..., jacobian: _Optional[_Union[JacobianStep, _Mapping]] = ..., batch_jacobian: _Optional[_Union[BatchJacobianStep, _Mapping]] = ..., fetch: _Optional[_Union[FetchStep, _Mapping]] = ..., watched_variables: _Optional[_Union[TapeRef, _Mapping]] = ..., assign: _Optional[_Union[AssignStep, _Mapping]] = ..., release: _Optional[_Union[ReleaseStep, _Mapping]] = ...) -> None: ...

class VariableStep(_message.Message):
    __slots__ = ("ref", "value", "trainable")
    REF_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TRAINABLE_FIELD_NUMBER: _ClassVar[int]
    ref: str
    value: Tensor
    trainable: bool
    def __init__(self, ref: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ..., trainable: _Optional[bool] = ...) -> None: ...

class ConstantStep(_message.Message):
    __slots__ = ("ref", "value")
    REF_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ref: str
    value: Tensor
    def __init__(self, ref: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...

class TapeStep(_message.Message):
    __slots__ = ("tape", "persistent", "watch_accessed_variables", "reenter")
    TAPE_FIELD_NUMBER: _ClassVar[int]
    PERSISTENT_FIELD_NUMBER: _ClassVar[int]
    WATCH_ACCESSED_VARIABLES_FIELD_NUMBER: _ClassVar[int]
    REENTER_FIELD_NUMBER: _ClassVar[int]
    tape: str
    persistent: bool
    watch_accessed_variables: bool
    reenter: bool
    def __init__(self, tape: _Optional[str] = ..., persistent: _Optional[bool] = ..., watch_accessed_variables: _Optional[bool] = ..., reenter: _Optional[bool] = ...) -> None: ...

class TapeRef(_message.Message):
    __slots__ = ("tape",)
    TAPE_FIELD_NUMBER: _ClassVar[int]
    tape: str
    def __init__(self, tape: _Optional[str] = ...) -> None: ...

class WatchStep(_message.Message):
    __slots__ = ("tape", "refs")
    TAPE_FIELD_NUMBER: _ClassVar[int]
    REFS_FIELD_NUMBER: _ClassVar[int]
    tape: str
    refs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tape: _Optional[str] = ..., refs: _Optional[_Iterable[str]] = ...) -> None: ...

class AttrValue(_message.Message):
    __slots__ = ("i", "f", "b", "s", "ints", "type")
    I_FIELD_NUMBER: _ClassVar[int]
    F_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    S_FIELD_NUMBER: _ClassVar[int]
    INTS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    i: int
    f: float
    b: bool
    s: str
    ints: IntList
    type: DType
    def __init__(self, i: _Optional[int] = ..., f: _Optional[float] = ..., b: _Optional[bool] = ..., s: _Optional[str] = ..., ints: _Optional[_Union[IntList, _Mapping]] = ..., type: _Optional[_Union[DType, str]] = ...) -> None: ...

class IntList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, values: _Optional[_Iterable[int]] = ...) -> None: ...

class OpStep(_message.Message):
    __slots__ = ("op", "inputs", "attrs", "outputs", "quiet")
    class AttrsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AttrValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AttrValue, _Mapping]] = ...) -> None: ...
    OP_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    ATTRS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    QUIET_FIELD_NUMBER: _ClassVar[int]
    op: str
    inputs: _containers.RepeatedScalarFieldContainer[str]
    attrs: _containers.MessageMap[str, AttrValue]
    outputs: _containers.RepeatedScalarFieldContainer[str]
    quiet: bool
    def __init__(self, op: _Optional[str] = ..., inputs: _Optional[_Iterable[str]] = ..., attrs: _Optional[_Mapping[str, AttrValue]] = ..., outputs: _Optional[_Iterable[str]] = ..., quiet: _Optional[bool] = ...) -> None: ...

class GradientStep(_message.Message):
    __slots__ = ("tape", "targets", "sources", "output_gradients", "unconnected", "outputs", "fetch")
    TAPE_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_GRADIENTS_FIELD_NUMBER: _ClassVar[int]
    UNCONNECTED_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    FETCH_FIELD_NUMBER: _ClassVar[int]
    tape: str
    targets: _containers.RepeatedScalarFieldContainer[str]
    sources: _containers.RepeatedScalarFieldContainer[str]
    output_gradients: _containers.RepeatedCompositeFieldContainer[Tensor]
    unconnected: Unconnected
    outputs: _containers.RepeatedScalarFieldContainer[str]
    fetch: bool
    def __init__(self, tape: _Optional[str] = ..., targets: _Optional[_Iterable[str]] = ..., sources: _Optional[_Iterable[str]] = ..., output_gradients: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., unconnected: _Optional[_Union[Unconnected, str]] = ..., outputs: _Optional[_Iterable[str]] = ..., fetch: _Optional[bool] = ...) -> None: ...

class JacobianStep(_message.Message):
    __slots__ = ("tape", "target", "sources", "unconnected", "outputs", "fetch")
    TAPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    UNCONNECTED_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    FETCH_FIELD_NUMBER: _ClassVar[int]
    tape: str
    target: str
    sources: _containers.RepeatedScalarFieldContainer[str]
    unconnected: Unconnected
    outputs: _containers.RepeatedScalarFieldContainer[str]
    fetch: bool
    def __init__(self, tape: _Optional[str] = ..., target: _Optional[str] = ..., sources: _Optional[_Iterable[str]] = ..., unconnected: _Optional[_Union[Unconnected, str]] = ..., outputs: _Optional[_Iterable[str]] = ..., fetch: _Optional[bool] = ...) -> None: ...

class BatchJacobianStep(_message.Message):
    __slots__ = ("tape", "target", "source", "output", "fetch")
    TAPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FETCH_FIELD_NUMBER: _ClassVar[int]
    tape: str
    target: str
    source: str
    output: str
    fetch: bool
    def __init__(self, tape: _Optional[str] = ..., target: _Optional[str] = ..., source: _Optional[str] = ..., output: _Optional[str] = ..., fetch: _Optional[bool] = ...) -> None: ...

class FetchStep(_message.Message):
    __slots__ = ("refs",)
    REFS_FIELD_NUMBER: _ClassVar[int]
    refs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, refs: _Optional[_Iterable[str]] = ...) -> None: ...

class AssignStep(_message.Message):
    __slots__ = ("variable", "mode", "value", "from_ref")
    VARIABLE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    FROM_REF_FIELD_NUMBER: _ClassVar[int]
    variable: str
    mode: AssignMode
    value: Tensor
    from_ref: str
    def __init__(self, variable: _Optional[str] = ..., mode: _Optional[_Union[AssignMode, str]] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ..., from_ref: _Optional[str] = ...) -> None: ...

class ReleaseStep(_message.Message):
    __slots__ = ("refs", "tapes")
    REFS_FIELD_NUMBER: _ClassVar[int]
    TAPES_FIELD_NUMBER: _ClassVar[int]
    refs: _containers.RepeatedScalarFieldContainer[str]
    tapes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, refs: _Optional[_Iterable[str]] = ..., tapes: _Optional[_Iterable[str]] = ...) -> None: ...

class RunResponse(_message.Message):
    __slots__ = ("session_id", "results", "error")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    results: _containers.RepeatedCompositeFieldContainer[StepResult]
    error: StepError
    def __init__(self, session_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[StepResult, _Mapping]]] = ..., error: _Optional[_Union[StepError, _Mapping]] = ...) -> None: ...

class Value(_message.Message):
    __slots__ = ("ref", "none", "tensor")
    REF_FIELD_NUMBER: _ClassVar[int]
    NONE_FIELD_NUMBER: _ClassVar[int]
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    ref: str
    none: bool
    tensor: Tensor
    def __init__(self, ref: _Optional[str] = ..., none: _Optional[bool] = ..., tensor: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...

class StepResult(_message.Message):
    __slots__ = ("values", "variables")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[Value]
    variables: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[_Union[Value, _Mapping]]] = ..., variables: _Optional[_Iterable[str]] = ...) -> None: ...

class StepError(_message.Message):
    __slots__ = ("code", "message", "step_index", "step_kind", "ref")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    STEP_KIND_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    step_index: int
    step_kind: str
    ref: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., step_index: _Optional[int] = ..., step_kind: _Optional[str] = ..., ref: _Optional[str] = ...) -> None: ...
