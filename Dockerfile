# syntax=docker/dockerfile:1
# dvorik: one binary, `dvorik serve` (HTTP API, jobs, bots). Build: `docker build -t dvorik .`
# (or `make up`, which builds it through docker-compose.yml).

# ---- build ----------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# The crate registry, git checkouts and target/ live in BuildKit cache mounts: after the first build
# a source change recompiles only the workspace's own crates, and a dependency change only what it touches.
# target/ is a cache, so the binary is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git/db,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p dvorik-bots --bin dvorik \
    && install -D -m 0755 target/release/dvorik /out/dvorik

# ---- run ------------------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 dvorik \
    && useradd --system --uid 10001 --gid dvorik --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin dvorik \
    && mkdir -p /data \
    && chown dvorik:dvorik /data
COPY --from=builder /out/dvorik /usr/local/bin/dvorik

# /data holds the SQLite file (when DATABASE_URL is not set), the generated secret key and documents.
ENV DVORIK_DATA_DIR=/data \
    DVORIK_HTTP_ADDR=0.0.0.0:8080
VOLUME ["/data"]
WORKDIR /data
USER dvorik:dvorik
EXPOSE 8080

# No curl in the slim image: bash's /dev/tcp asks GET /health on the port of DVORIK_HTTP_ADDR.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${DVORIK_HTTP_ADDR##*:} && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && IFS= read -r status <&3 && [[ $status == 'HTTP/1.'[01]' 200'* ]]"]

ENTRYPOINT ["dvorik"]
CMD ["serve"]
