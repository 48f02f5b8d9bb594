# Multi-stage build on Debian bookworm.
#   docker build -t ghcr.io/example/aws-auth-refresher:0.1.0 .
# Runtime: debian:bookworm-slim with only the shared libraries the binary needs,
# running as 65534 (nobody); the program writes no files, so a read-only root
# filesystem works.
FROM debian:bookworm AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake pkg-config ca-certificates \
      libre2-dev libyaml-cpp-dev libyaml-dev nlohmann-json3-dev libpugixml-dev \
      libcurl4-openssl-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DAAR_TESTS=OFF -DAAR_BENCH=OFF \
 && cmake --build /build -j"$(nproc)" --target aws-auth-refresher \
 && strip /build/aws-auth-refresher

FROM debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates libre2-9 libyaml-cpp0.7 libyaml-0-2 libpugixml1v5 \
      libcurl4 libssl3 libspdlog1.10 libfmt9 libcpp-httplib0.11 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/aws-auth-refresher /usr/local/bin/aws-auth-refresher
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/aws-auth-refresher"]
CMD ["run"]
