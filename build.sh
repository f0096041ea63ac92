#!/usr/bin/env bash
# flushprinter's two entry points (see README.md):
#   ./build.sh demo   install build dependencies, build, run the demonstration
#   ./build.sh test   install build dependencies, build, run the whole test suite
#   ./build.sh packages   list the Debian packages it installs
# Debian 12; installing packages needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD

# Debian packages the build, the tests, the demo and the benchmark need.
PACKAGES="autoconf automake libtool pkg-config make gcc clang libclang-rt-14-dev
  libcups2-dev cups cups-daemon cups-client cups-ipp-utils cups-filters libusb-1.0-0-dev check
  python3 socat valgrind umockdev libumockdev-dev"

install_packages() {
  local missing=()
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# Configure and build in build/NAME with extra configure arguments.
build() {
  local dir=build/$1; shift
  [ -x configure ] && [ configure -nt configure.ac ] && [ configure -nt Makefile.am ] \
    || autoreconf -fi >/dev/null
  mkdir -p "$dir"
  ( cd "$dir" && { [ -f config.status ] || "$top/configure" -q "$@"; } && make -s -j"$(nproc)" )
}

# Count test cases (not programs) in the test logs of the given build dirs:
# Check's "Checks: N, Failures: F, Errors: E" and unittest's "Ran N tests" /
# "FAILED (failures=F, errors=E)".  Prints "PASSED FAILED".
count() {
  find "$@" -path '*/tests/*' -name '*.log' -print0 2>/dev/null | xargs -0 -r awk '
    /^[0-9]+%: Checks: / { gsub(",", ""); n += $3; f += $5 + $7 }
    /^Ran [0-9]+ tests? in / { n += $2 }
    /^FAILED \(/ { if (match($0, /failures=[0-9]+/)) f += substr($0, RSTART + 9, RLENGTH - 9)
                   if (match($0, /errors=[0-9]+/)) f += substr($0, RSTART + 7, RLENGTH - 7) }
    END { print n - f, f + 0 }'
}

case "${1:-}" in
  packages)
    echo $PACKAGES
    ;;
  demo)
    install_packages
    build main
    exec python3 demo/demo.py build/main
    ;;
  test)
    install_packages
    status=0
    echo "== build and make check (unit tests, behaviour tests)"
    build main
    make -C build/main -s check VERBOSE=1 || status=1
    echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
    san="-fsanitize=address,undefined -fno-omit-frame-pointer"
    build asan CC=clang CFLAGS="-g -O1 $san" LDFLAGS="$san"
    make -C build/asan -s check TESTS='$(UNIT_TESTS)' UBSAN_OPTIONS=halt_on_error=1 \
      VERBOSE=1 || status=1
    echo "== make distcheck"
    make -C build/main -s distcheck >build/distcheck.log 2>&1 \
      || { tail -50 build/distcheck.log; status=1; }
    read -r passed failed < <(count build/main build/asan)
    [ $status -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
    echo "$passed passed, $failed failed"
    exit $status
    ;;
  *)
    sed -n "2,6p" "$0" | sed "s/^# //"
    exit 2
    ;;
esac
