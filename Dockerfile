# Tongxin's two programs in a small image: `tongxin` (admin CLI, also the one-shot migrator)
# and `tongxin-worker`. Build: docker build -t tongxin .
ARG SWIFT_IMAGE=swift:6.1-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libcurl4-openssl-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY migrations ./migrations
RUN swift build -c release --static-swift-stdlib --product tongxin \
 && swift build -c release --static-swift-stdlib --product tongxin-worker \
 && mkdir /out && cp .build/release/tongxin .build/release/tongxin-worker /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libcurl4 ca-certificates postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* && useradd --system --home /nonexistent tongxin
COPY --from=build /out/ /usr/local/bin/
USER tongxin
# The migrations are built into the binaries; TONGXIN_MIGRATIONS points elsewhere if needed.
ENTRYPOINT []
CMD ["tongxin-worker"]
