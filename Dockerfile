# AmberDB's server in a container: the Postgres listener on 5433 and the HTTP API on
# 8080, the data directory in the /data volume, run as an unprivileged user.
#
#   docker build -t amberdb .
#   amberdb serve --keys keys --add-key app write      # once, on the host: prints the key
#   docker run -p 127.0.0.1:8080:8080 -v amberdb:/data \
#     -v "$PWD/keys:/run/secrets/amberdb_keys:ro" amberdb
#
# Without keys (AMBERDB_KEYS) and users (AMBERDB_USERS) the server answers only
# clients inside the container, as it does outside one.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin amberdb && strip target/release/amberdb

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin amberdb \
 && mkdir -p /data && chown amberdb /data
COPY --from=build /src/target/release/amberdb /usr/local/bin/amberdb
USER amberdb
VOLUME /data
ENV AMBERDB_DATA=/data \
    AMBERDB_LISTEN=0.0.0.0:5433 \
    AMBERDB_HTTP=0.0.0.0:8080 \
    AMBERDB_KEYS=/run/secrets/amberdb_keys
EXPOSE 5433 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD curl -fsS http://127.0.0.1:8080/ready || exit 1
# SIGTERM drains, checkpoints and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["amberdb", "serve"]
