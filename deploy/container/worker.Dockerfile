# The image of ffrtmp-worker (with ffrtmp-transcode, the ffrtmp command and
# ffrtmp-webhooks) for deploy/kubernetes/worker.yaml: Debian 12, whose
# FFmpeg 5.1 the worker is built for.  From the top of the source tree:
#
#   docker build -f deploy/container/worker.Dockerfile -t REGISTRY/ffrtmp/worker:0.2 .
#
# It runs as the unprivileged user 10001 and writes nothing outside its
# --output-root and /tmp, so the root filesystem can be read-only.
ARG DEBIAN_IMAGE=docker.io/library/debian:12.11-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config libpq-dev libjson-c-dev libseccomp-dev \
      libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev \
      libswscale-dev libswresample-dev libavutil-dev \
      libcurl4-openssl-dev libssl-dev libsqlite3-dev \
      libmicrohttpd-dev libsystemd-dev
WORKDIR /src
COPY src/ src/
# The programs alone, without the extension (no PostgreSQL server headers).
RUN for dir in worker webhooks cli; do \
      make -C src/$dir clean && make -C src/$dir \
        && make -C src/$dir install DESTDIR=/out PREFIX=/usr || exit 1; \
    done

FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libpq5 libjson-c5 libseccomp2 \
      libavcodec59 libavformat59 libavfilter8 libavdevice59 \
      libswscale6 libswresample4 libavutil57 \
      libcurl4 libssl3 libsqlite3-0 libmicrohttpd12 libsystemd0 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ffrtmp \
 && useradd --system --uid 10001 --gid ffrtmp --home-dir /nonexistent \
      --no-create-home --shell /usr/sbin/nologin ffrtmp \
 && install -d -o ffrtmp -g ffrtmp /srv/ffrtmp/output
COPY --from=build /out/ /
USER 10001:10001
EXPOSE 9091
ENTRYPOINT ["/usr/bin/ffrtmp-worker"]
