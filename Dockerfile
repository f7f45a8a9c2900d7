# The gradd server as a container image:
#
#   docker build -t gradd .
#   docker run --rm -p 50051:50051 -e GRADD_TOKENS=alice:s3cret gradd
#
# The server listens on 0.0.0.0:50051 inside the container, which gradd refuses to do without
# authentication: pass tokens (GRADD_TOKENS, or GRADD_TOKENS_FILE with a mounted file), or
# GRADD_INSECURE=true on a network you trust. Every `serve` flag has a GRADD_* variable
# (`docker run --rm gradd serve --help`).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# No debug info in the image's binary (the release profile keeps line tables for profilers).
ENV CARGO_PROFILE_RELEASE_DEBUG=false
RUN cargo build --release --locked --bin gradd

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin gradd
COPY --from=build /src/target/release/gradd /usr/local/bin/gradd
USER gradd
ENV GRADD_ADDR=0.0.0.0:50051 \
    GRADD_LOG_FORMAT=json
EXPOSE 50051
# `gradd health` asks the server's grpc.health.v1 service (GRADD_ADDR as above; a TLS server
# needs GRADD_HEALTH_TLS_CA pointing at its CA file, and GRADD_HEALTH_TLS_DOMAIN set to the name
# in its certificate).
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["gradd", "health", "--timeout", "3"]
ENTRYPOINT ["gradd"]
CMD ["serve"]
