#!/usr/bin/env bash
# Installs, from Debian's packages, everything ffrtmp needs to build, test and
# run its demo.  Run as root on Debian 12; safe to run again.
#
# For test, CI and demo machines only, never a production host: it installs
# ffmpeg, nginx and the test tools too.  A database host installs
# postgresql-15 postgresql-server-dev-15 build-essential and runs
# `make extension && make install-extension`; a transcoding machine installs
# the worker's packages (docs/building.md, docs/operations.md).
set -euo pipefail

packages=(
  build-essential
  postgresql-15 postgresql-server-dev-15 libpq-dev
  postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
  # recurring jobs (docs/recurring.md, test/t/047_recurring_pg_cron.pl)
  postgresql-15-cron
  # ffrtmp-worker: libav* to build it, ffmpeg/ffprobe and an RTMP server to test it
  pkg-config libjson-c-dev libseccomp-dev
  libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev
  libswscale-dev libswresample-dev libavutil-dev
  ffmpeg nginx libnginx-mod-rtmp
  # ffrtmp-worker --listen (HTTP /metrics, /health, /ready) and systemd's
  # Type=notify (docs/worker.md, "Metrics and probes")
  libmicrohttpd-dev libsystemd-dev
  # ffrtmp-webhooks: HTTP with libcurl, HMAC-SHA256 with OpenSSL's libcrypto
  libcurl4-openssl-dev libssl-dev
  # the importer from the original system's SQLite store (src/cli/import_sqlite.c),
  # and the sqlite3 command its test builds a store with
  libsqlite3-dev sqlite3
  # the REST API's OpenAPI document and Swagger UI (docs/openapi.md): npm for
  # the validator and swagger-ui-dist below, chromium to load the UI headless
  chromium
  # systemd-analyze verifies PostgREST's unit (test/t/053_rest_deploy.pl),
  # which a full run may not skip
  systemd
  # the database's metrics served for real (docs/metrics.md,
  # test/t/090_metrics_exporter.pl): the exporter and a Prometheus server;
  # promtool checks and unit-tests the alerting rules and parses the Grafana
  # dashboard's queries; YAML::XS reads them (scripts/metric-names,
  # test/t/098_dashboards.pl)
  prometheus prometheus-postgres-exporter libyaml-libyaml-perl
  # high availability: the failover test of Patroni with etcd on loopback
  # (test/t/095_patroni_failover.pl, docs/high-availability.md)
  patroni etcd-server
  # the Debian packages (debian/, test/t/097_debian_packages.pl): Debian's
  # packaging tools, and the Build-Depends not above (the worker's HTTP
  # server and systemd notification)
  debhelper help2man lintian libmicrohttpd-dev libsystemd-dev
  # make bench (bench/README.md): its charts; the peers pg-boss and
  # graphile-worker come from npm (bench/peers/package-lock.json) at run time
  gnuplot-nox
)

# From npm, pinned: the OpenAPI validator of test/t/055_openapi.pl and the
# Swagger UI files that nginx serves (deploy/nginx/ffrtmp-swagger-ui.conf).
npm_packages=(
  @apidevtools/swagger-cli@4.0.4
  swagger-ui-dist@5.35.0
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

# Debian starts PostgreSQL's cluster "15 main" when it installs it.  Stop it
# (and the services below) only when this run installed it: a server that was
# already here is someone's, and stays as it was.
had_cluster=no
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q '^15 *main '; then
  had_cluster=yes
fi
# Debian also starts the service of some packages when it installs them:
# nginx (port 80), Prometheus (9090), the exporter (9187, every interface)
# and etcd (2379).  The tests run their own on free loopback ports.
installed() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
service_packages=(nginx:nginx prometheus:prometheus
  prometheus-postgres-exporter:prometheus-postgres-exporter etcd-server:etcd)
had_packages=" "
for pair in "${service_packages[@]}"; do
  installed "${pair%%:*}" && had_packages="$had_packages${pair%%:*} "
done

apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Debian's npm, unless Node.js came with its own npm (a nodejs package from
# elsewhere conflicts with Debian's npm).
if ! command -v npm >/dev/null; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
npm install --global --no-fund --no-audit --ignore-scripts "${npm_packages[@]}" >/dev/null

# ffrtmp's tests and demo run their own cluster, so stop the one Debian just
# created on port 5432, and keep it off after a reboot: start.conf "manual"
# (postgresql-common's own switch; `pg_ctlcluster 15 main start` still starts
# it by hand), read by the systemd generator that makes postgresql@15-main.
if [ "$had_cluster" = yes ]; then
  echo "install-deps.sh: PostgreSQL cluster 15/main existed before; left as it is"
elif command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q '^15 *main '; then
  if pg_lsclusters -h 2>/dev/null | grep -q '^15 *main .* online'; then
    pg_ctlcluster 15 main stop || true
  fi
  if [ -f /etc/postgresql/15/main/start.conf ]; then
    sed -i 's/^auto$/manual/' /etc/postgresql/15/main/start.conf
    if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
  fi
fi
# Stop and keep off the services Debian just started.
stop_service() {
  if [ -d /run/systemd/system ]; then
    systemctl disable --now "$1" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$1" ]; then
    update-rc.d "$1" disable >/dev/null 2>&1 || true
    "/etc/init.d/$1" stop >/dev/null 2>&1 || true
  fi
}
for pair in "${service_packages[@]}"; do
  case "$had_packages" in
    *" ${pair%%:*} "*) echo "install-deps.sh: ${pair%%:*} was installed before; its service is left as it is" ;;
    *) stop_service "${pair#*:}" ;;
  esac
done
echo "install-deps.sh: packages ready"
