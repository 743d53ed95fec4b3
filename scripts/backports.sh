# Sourced by the firmware scripts: installs Debian packages from
# bookworm-backports (QEMU 10, binutils-arm-none-eabi), as ../shared/notes
# /embedded.md describes: bookworm's own QEMU 7.2 conflicts with the
# machine's qemu-utils. The suite is added on the mirror the machine already
# uses. Usage: install_backports PACKAGE...
install_backports() {
  [ "$#" -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then
    echo "installing $* needs root (apt-get)" >&2
    return 1
  fi
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    local uri
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    if [ -z "$uri" ]; then
      echo "no Debian mirror found in /etc/apt/sources.list.d/debian.sources" >&2
      return 1
    fi
    echo "deb $uri bookworm-backports main" >/etc/apt/sources.list.d/bookworm-backports.list
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports "$@" >/dev/null
}
