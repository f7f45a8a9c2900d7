//! The generated gRPC types of `proto/gradd/v1/gradd.proto` (package `gradd.v1`).
#![allow(clippy::all, missing_docs)]

tonic::include_proto!("gradd.v1");

/// The encoded FileDescriptorSet of the gradd API (for reflection and `gradd protoset`).
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gradd_descriptor.bin"));
