//! gradd: TensorFlow's `tf.GradientTape`, served over gRPC.
//!
//! Layers point one way: `service -> session -> tape -> ops -> tensor`. Everything below
//! `service` builds and is tested without tonic.

pub mod bench;
pub mod conformance;
pub mod error;
pub mod kernels;
pub mod ops;
pub mod perf;
pub mod proto;
pub mod service;
pub mod session;
pub mod tape;
pub mod tensor;
