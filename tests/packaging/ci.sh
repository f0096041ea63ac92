#!/usr/bin/env bash
# CI's packaging step (.ci/run): build the Debian packages from a clean copy
# of HEAD (dh_auto_test runs the unit tests), lintian them (no error, no
# warning that debian/ does not override), build a higher local version, and
# run lifecycle.sh with both.  As root; ends with "packaging: N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/flushprinter-debs.XXXXXX)
trap 'rm -rf "$out"' EXIT
passed=0 failed=0
step() {
  local what=$1; shift
  if "$@"; then echo "ok: $what"; passed=$((passed + 1))
  else echo "FAILED: $what"; failed=$((failed + 1)); return 1; fi
}
# The verdict: an error or a warning that debian/ does not override fails
# (lintian --show-overrides would count the overridden ones too); then the
# overridden tags, each justified in debian/*lintian-overrides.
lint() {
  local status=0
  lintian --fail-on error,warning --display-info "$1"/*.changes >"$out/lintian.txt" 2>&1 || status=$?
  grep -v '^running with root privileges' "$out/lintian.txt"
  [ "$status" -eq 0 ] || return 1
  lintian --show-overrides "$1"/*.changes 2>/dev/null | grep '^O:' | sed 's/^/   /'
  return 0
}

start=$(date +%s)
if step "dpkg-buildpackage -us -uc -b" "$top/tests/packaging/build-debs.sh" "$out/v1"; then
  step "lintian: no error, no warning left unexplained" lint "$out/v1"
  version=$(dpkg-deb -f "$out"/v1/flushprinter_*.deb Version)
  # the unit tests ran in the first build
  if step "a rebuild as $version+ci1" env DEB_BUILD_OPTIONS=nocheck \
       "$top/tests/packaging/build-debs.sh" "$out/v2" "$version+ci1"; then
    "$top/tests/packaging/lifecycle.sh" "$out/v1" "$out/v2" | tee "$out/lifecycle.log"
    read -r p f < <(sed -n 's/^lifecycle: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
                      "$out/lifecycle.log" | tail -1)
    if [ -z "${p:-}" ]; then
      echo "FAILED: lifecycle.sh ended without its count"
      failed=$((failed + 1))
    else
      passed=$((passed + p)) failed=$((failed + f))
    fi
  fi
fi
echo "   packaging step: $(( $(date +%s) - start )) s"
echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
