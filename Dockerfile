# The rowchain binary in a small runtime image. Build from the repository
# root (docker-compose.yml does): docker build -t rowchain .
#
# The image runs `rowchain` with the arguments given; by default one node
# of a network whose data directory (from `rowchain init`) is mounted at
# /data: docker run -v "$PWD/testnet/node1:/data" -p 5433:5433 rowchain

FROM rust:1.95-bookworm AS build
# RocksDB's bindings are generated with libclang at build time.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libclang-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The caches keep the registry and RocksDB's build (about 11 minutes on 2
# cores) between image builds; the binary is copied out of the cache.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin rowchain \
    && cp target/release/rowchain /usr/local/bin/rowchain

FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/rowchain /usr/local/bin/rowchain
# PostgreSQL, JSON-RPC and peer ports of a node made by
# `rowchain init --host ...` (one host per node).
EXPOSE 5433 5005 5125 3307
VOLUME /data
WORKDIR /data
ENTRYPOINT ["rowchain"]
CMD ["node", "--data", "/data"]
