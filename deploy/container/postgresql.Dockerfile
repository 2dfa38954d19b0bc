# CloudNativePG's PostgreSQL 15 image with the ffrtmp extension, for the
# Cluster of deploy/kubernetes/database.yaml.  From the top of the source
# tree:
#
#   docker build -f deploy/container/postgresql.Dockerfile \
#     -t REGISTRY/ffrtmp/postgresql:15-ffrtmp-0.2 .
#
# The extension is built in a stage of the same image (its PostgreSQL and
# PGDG repository), and only its installed files are copied into the result,
# which keeps the base image's user (postgres, 26) and entrypoint.
ARG CNPG_IMAGE=ghcr.io/cloudnative-pg/postgresql:15.13-bookworm

FROM ${CNPG_IMAGE} AS build
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential postgresql-server-dev-15
WORKDIR /src
COPY Makefile ffrtmp.control ./
COPY src/ src/
COPY sql/ sql/
# The extension alone (docs/building.md); DESTDIR keeps its files apart.
ARG PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
RUN make PG_CONFIG=$PG_CONFIG extension \
 && make PG_CONFIG=$PG_CONFIG install-extension DESTDIR=/out

FROM ${CNPG_IMAGE}
USER root
COPY --from=build /out/usr/ /usr/
USER 26
