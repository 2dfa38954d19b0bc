# Shared by the scripts: where PostgreSQL lives and how to run a private cluster
# as the unprivileged postgres user (PostgreSQL refuses to run as root).

# PG_CONFIG picks the PostgreSQL installation (Debian's 15 by default): a copy
# of it elsewhere lets several checkouts build and test side by side.
# (On a fresh machine the default does not exist yet when this file is read:
# the packages that bring it are installed later, at the same paths.)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
PGXS_DIR=$("$PG_CONFIG" --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)/pgxs
export PG_CONFIG PATH="$PGBIN:$PATH"

# portable_locale: the scripts' programs run in the C.UTF-8 locale, which every
# Debian system has, whatever the caller's LANG/LC_* say.  An SSH client
# usually forwards LANG=en_US.UTF-8, which a fresh machine may not have
# generated; initdb then stops with "invalid locale settings" (PostgreSQL's
# test library clears LC_ALL but keeps LANG, so LANG must be usable too).
portable_locale() {
  export LANG=C.UTF-8 # first, so that bash never tries the caller's locale
  unset LANGUAGE LC_ALL LC_CTYPE LC_COLLATE LC_MESSAGES LC_MONETARY LC_NUMERIC LC_TIME
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- env PATH="$PATH" "$@"
  else
    "$@"
  fi
}

# build_and_install REPO: compiles the extension and installs it into PostgreSQL.
build_and_install() {
  make -C "$1" -s PG_CONFIG="$PG_CONFIG" >/dev/null
  make -C "$1" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# start_cluster DIR PORT [SETTING...]: a fresh cluster in DIR with ffrtmp
# preloaded, listening only on a unix socket in DIR; each SETTING is a line of
# postgresql.conf (ffrtmp.database = '...' when the extension goes elsewhere
# than the postgres database).
start_cluster() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  chown postgres "$dir" 2>/dev/null || true
  as_postgres initdb -D "$dir/data" -A trust -U postgres --encoding=UTF8 --no-locale >/dev/null
  cat >>"$dir/data/postgresql.conf" <<CONF
shared_preload_libraries = 'ffrtmp'
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
max_connections = 60
CONF
  local setting
  for setting in "$@"; do
    echo "$setting" >>"$dir/data/postgresql.conf"
  done
  as_postgres pg_ctl -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
}

stop_cluster() {
  as_postgres pg_ctl -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}
