"""Generated gRPC stubs for gradd.v1 (see gen_proto.py). Do not edit."""
