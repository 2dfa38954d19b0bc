#!/usr/bin/env bash
# Installs, from Debian's packages, everything ffrtmp needs to build, test and
# run its demo.  Run as root on Debian 12; safe to run again.
set -euo pipefail

packages=(
  build-essential
  postgresql-15 postgresql-server-dev-15 libpq-dev
  postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
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
echo "install-deps.sh: packages ready"
