#!/usr/bin/env bash
# Installs, from Debian's packages, everything ffrtmp needs to build, test and
# run its demo.  Run as root on Debian 12; safe to run again.
set -euo pipefail

packages=(
  build-essential
  postgresql-15 postgresql-server-dev-15 libpq-dev
  postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
  # ffrtmp-worker: libav* to build it, ffmpeg/ffprobe and an RTMP server to test it
  pkg-config libjson-c-dev libseccomp-dev
  libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev
  libswscale-dev libswresample-dev libavutil-dev
  ffmpeg nginx libnginx-mod-rtmp
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Debian creates and starts a cluster on port 5432; ffrtmp runs its own, so stop that one.
if command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q '^15 *main .* online'; then
  pg_ctlcluster 15 main stop || true
fi
# Debian's nginx starts a server on port 80; the tests run their own private
# nginx (RTMP on a free loopback port), so stop that one and keep it off.
if [ -d /run/systemd/system ]; then
  systemctl disable --now nginx >/dev/null 2>&1 || true
elif [ -x /etc/init.d/nginx ]; then
  update-rc.d nginx disable >/dev/null 2>&1 || true
  if /etc/init.d/nginx status >/dev/null 2>&1; then
    /etc/init.d/nginx stop >/dev/null 2>&1 || true
  fi
fi
echo "install-deps.sh: packages ready"
