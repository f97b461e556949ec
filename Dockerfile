# Release image for `adsync serve`, `adsync work` and `adsync migrate`.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin adsync

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 adsync && apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/adsync /usr/local/bin/adsync
USER adsync
ENTRYPOINT ["adsync"]
CMD ["serve"]
