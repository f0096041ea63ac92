#!/usr/bin/env bash
# Build the Debian packages from a clean copy of the committed tree (HEAD):
#
#   tests/packaging/build-debs.sh OUTDIR [VERSION]
#
# OUTDIR gets the .deb files, .changes and .buildinfo, and build.log.  With
# VERSION (e.g. 0.1.0-1+local1), the copy's debian/changelog first gets an
# entry for that version: a local rebuild, as `dch -l` would make it.
# Uncommitted changes are not built: commit them first.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
version=${2:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/flushprinter"
git -C "$top" archive HEAD | tar -x -C "$work/flushprinter"
cd "$work/flushprinter"

if [ -n "$version" ]; then
  maintainer=$(dpkg-parsechangelog -S Maintainer)
  {
    printf 'flushprinter (%s) UNRELEASED; urgency=medium\n\n' "$version"
    printf '  * Local rebuild (tests/packaging/build-debs.sh).\n\n'
    printf ' -- %s  %s\n\n' "$maintainer" "$(date -R)"
    cat debian/changelog
  } >debian/changelog.new
  mv debian/changelog.new debian/changelog
fi

echo "== dpkg-buildpackage -us -uc -b ($(dpkg-parsechangelog -S Version)) in $work"
start=$(date +%s)
if ! DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
     nice -n 5 dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  echo "dpkg-buildpackage failed (whole log: $out/build.log)"
  exit 1
fi
grep -E '^# (TOTAL|PASS|FAIL|ERROR):' "$out/build.log" | sed 's/^/   dh_auto_test: /' || true
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
echo "   built in $(( $(date +%s) - start )) s:"
for deb in "$out"/*.deb; do echo "   ${deb##*/}"; done
