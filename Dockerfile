# Tongxin's three programs in a small image: `tongxin` (admin CLI, also the one-shot migrator),
# `tongxin-worker` and `tongxin-web`. Build: docker build -t tongxin .
# (Hummingbird 2.28 needs Swift 6.2 or later.)
ARG SWIFT_IMAGE=swift:6.2-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libcurl4-openssl-dev libsodium-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY migrations ./migrations
RUN swift build -c release --static-swift-stdlib --product tongxin \
 && swift build -c release --static-swift-stdlib --product tongxin-worker \
 && swift build -c release --static-swift-stdlib --product tongxin-web \
 && mkdir /out && cp .build/release/tongxin .build/release/tongxin-worker .build/release/tongxin-web /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libcurl4 libsodium23 ca-certificates postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* && useradd --system --home /nonexistent tongxin
COPY --from=build /out/ /usr/local/bin/
USER tongxin
# The migrations are built into the binaries; TONGXIN_MIGRATIONS points elsewhere if needed.
ENTRYPOINT []
CMD ["tongxin-worker"]
