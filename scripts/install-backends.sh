#!/usr/bin/env bash
# Installs the real servers the integration tests run against, from Debian packages, when missing:
#   InfluxDB 1.6 (influxd + influx), Prometheus 2.42 (bookworm), nginx 1.22 (the load balancer of
#   the scale-out test, which runs its own nginx under a temporary prefix), curl, and VictoriaMetrics 1.112
#   (the first Debian build with OTLP), extracted from Debian trixie with a private apt state so the
#   system apt config is never touched. `--chromium` also installs Debian's chromium.
# Idempotent and quick when everything is present (no apt-get update then). Needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

VM_VERSION='1.112.0+ds1-2'
CACHE_DIR="${NETBIRD_BACKENDS_CACHE:-/opt/netbird-otel-metrics}"
VM_ROOT="$CACHE_DIR/vm-1.112"
VM_BIN="$VM_ROOT/usr/bin/victoria-metrics"

want_chromium=0
for arg in "$@"; do
  case "$arg" in
    --chromium) want_chromium=1 ;;
    -h | --help)
      echo "usage: $0 [--chromium]"
      exit 0
      ;;
    *)
      echo "install-backends: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

# Debian packages to install, keyed by a command they provide.
missing=()
command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
command -v influx >/dev/null 2>&1 || missing+=(influxdb-client)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
# nginx lives in /usr/sbin, which a non-root PATH may lack.
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [[ $want_chromium == 1 ]]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
need_vm=0
[[ -x $VM_BIN ]] || need_vm=1

if [[ ${#missing[@]} == 0 && $need_vm == 0 ]]; then
  echo "install-backends: all present (influxd, influx, prometheus, nginx, curl$([[ $want_chromium == 1 ]] && echo ', chromium'), $VM_BIN)"
  exit 0
fi

if [[ $(id -u) != 0 ]]; then
  echo "install-backends: missing ${missing[*]:-} $([[ $need_vm == 1 ]] && echo victoria-metrics-1.112); run this script as root" >&2
  exit 1
fi

started=$(date +%s%N)
did=()
work=$(mktemp -d)
stage=''
trap 'rm -rf "$work" ${stage:+"$stage"}' EXIT

# apt is chatty (debconf notes, progress); keep its output and show it only when a step fails.
quiet() {
  if ! "$@" >"$work/step.log" 2>&1; then
    echo "install-backends: failed: $*" >&2
    tail -n 40 "$work/step.log" >&2
    return 1
  fi
}

if [[ ${#missing[@]} -gt 0 ]]; then
  quiet apt-get update -qq
  # --no-install-recommends keeps prometheus from pulling in node-exporter and friends.
  quiet apt-get install -y -qq --no-install-recommends "${missing[@]}"
  did+=("apt: ${missing[*]}")
fi

if [[ $need_vm == 1 ]]; then
  # Private apt state for trixie: own sources list, lists and archives under a temp folder;
  # the system's sources, lists and caches stay as they are.
  alt=$work/apt-trixie
  mkdir -p "$alt/lists/partial" "$alt/archives/partial"
  uri=''
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  uri=${uri:-http://deb.debian.org/debian}
  echo "deb $uri trixie main" >"$alt/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$alt/sources.list"
    -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::State::Lists=$alt/lists"
    -o "Dir::Cache::Archives=$alt/archives"
    -o Dir::Cache::pkgcache=
    -o Dir::Cache::srcpkgcache=
    -o APT::Sandbox::User=root
  )
  quiet apt-get -qq "${apt_opts[@]}" update
  # Pinned so a trixie update cannot silently change behaviour; fall back to trixie's current
  # build only if the pinned one has disappeared from the mirror.
  if ! (cd "$alt" && apt-get -qq "${apt_opts[@]}" download "victoria-metrics=$VM_VERSION" >"$work/step.log" 2>&1); then
    echo "install-backends: victoria-metrics=$VM_VERSION not found in trixie, taking the current build" >&2
    (cd "$alt" && quiet apt-get -qq "${apt_opts[@]}" download victoria-metrics)
  fi
  # Extract into a staging folder, then move into place, so an interrupted run leaves no half tree.
  mkdir -p "$CACHE_DIR"
  stage=$(mktemp -d "$CACHE_DIR/.vm-stage.XXXXXX")
  dpkg -x "$alt"/victoria-metrics_*.deb "$stage"
  rm -rf "$VM_ROOT"
  mv "$stage" "$VM_ROOT"
  chmod 755 "$VM_ROOT"
  did+=("victoria-metrics $(basename "$alt"/victoria-metrics_*.deb .deb | cut -d_ -f2) -> $VM_BIN")
fi

elapsed_ms=$((($(date +%s%N) - started) / 1000000))
printf 'install-backends: installed %s in %s ms\n' "$(printf '%s; ' "${did[@]}" | sed 's/; $//')" "$elapsed_ms"
