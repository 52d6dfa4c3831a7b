# Shared set-up for scripts/demo, scripts/test, scripts/bench and .ci/run: install what is
# missing on a fresh Debian 12 machine (as root), install npm packages, build dist/minidocker.
# Source it: `. scripts/lib/setup.sh; ensure_deps; build_minidocker`.

APT_PACKAGES=(busybox-static runc crun iproute2 libseccomp2 gcc libc6-dev util-linux procps strace)

log_step() { printf '==> %s\n' "$*" >&2; }

ensure_deps() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log_step "apt-get install ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then echo "run as root: apt-get and containers need it" >&2; return 1; fi
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || return 1
  fi
  if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log_step "npm ci"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null || return 1
  fi
}

build_minidocker() {
  log_step "build dist/minidocker"
  node_modules/.bin/bun scripts/build.ts >&2 || return 1
  [ -x bundles/busybox/rootfs/bin/busybox ] || bundles/busybox/make-rootfs || return 1
}
