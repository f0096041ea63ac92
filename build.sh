#!/usr/bin/env bash
# flushprinter's entry points (see README.md):
#   ./build.sh demo   install build dependencies, build, run the demonstration
#   ./build.sh test   install build dependencies, build, run the whole test suite
#   ./build.sh bench  install build dependencies, build, run the benchmark (bench/bench.py)
#   ./build.sh fuzz   install build dependencies, fuzz each tracker and parser (FUZZ_SECONDS, 15)
#   ./build.sh packages   list the Debian packages it installs
# Debian 12; installing packages needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD

# Debian packages the build, the tests, the demo and the benchmark need (the
# last line: building and checking the Debian packages, tests/packaging/ci.sh).
PACKAGES="autoconf automake libtool pkg-config make gcc clang libclang-rt-14-dev
  libcups2-dev cups cups-daemon cups-client cups-ipp-utils cups-filters libusb-1.0-0-dev check
  python3 socat valgrind umockdev libumockdev-dev iproute2 cups-filters-core-drivers cups-ppdc
  printer-driver-escpr ghostscript printer-driver-gutenprint printer-driver-dymo
  build-essential debhelper dpkg-dev lintian"

# Seconds of libFuzzer per tracker and per parser in `./build.sh test` (FUZZ_SECONDS=0 skips).
FUZZ_SECONDS=${FUZZ_SECONDS:-15}

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

# The parser fuzz targets (tests/fuzz-NAME.c) and the -max_len of each one's
# inputs: URIs, reset specs, side-channel streams (a message of the framing
# maximum, which fills the reader, and the start of the next), state-file slots.
PARSER_TARGETS="options:4096 reset:4096 sidechannel:65544 state:1024 status:4096"

# Run fuzz target PROGRAM as NAME for FUZZ_SECONDS on build/fuzz/corpus/NAME
# and build/fuzz/seeds/NAME (plus tests/fuzz-seeds/NAME, the hand-written
# seeds), inputs of at most MAX_LEN bytes; log build/fuzz/tests/fuzz-NAME.log,
# ending in "FUZZ PASS NAME" or "FUZZ FAIL NAME".  Returns 1 if it failed.
run_fuzzer() {
  local name=$1 program=$2 max_len=$3 log=build/fuzz/tests/fuzz-$1.log
  mkdir -p "build/fuzz/corpus/$name" "build/fuzz/seeds/$name"
  if [ -d "tests/fuzz-seeds/$name" ]; then cp "tests/fuzz-seeds/$name"/* "build/fuzz/seeds/$name/"; fi
  if UBSAN_OPTIONS=halt_on_error=1 "$program" \
       -max_total_time="$FUZZ_SECONDS" -timeout=10 -max_len="$max_len" -print_final_stats=1 \
       -artifact_prefix="build/fuzz/crash-$name-" \
       "build/fuzz/corpus/$name" "build/fuzz/seeds/$name" >"$log" 2>&1; then
    echo "FUZZ PASS $name" >>"$log"
    echo "   $name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') inputs, no failure"
  else
    echo "FUZZ FAIL $name" >>"$log"
    echo "   $name: FAILED (log: $log)"
    grep -E 'fuzz-[a-z]+: |ERROR: |runtime error|Test unit written' "$log" | head -5 | sed 's/^/     /' || true
    return 1
  fi
}

# Fuzz each tracker with libFuzzer for FUZZ_SECONDS, seeded with the real
# driver streams, then each parser target, seeded with what it generates
# (the documents' URIs and reset specs, the codec's and the store's own
# output); one build/fuzz/tests/fuzz-NAME.log each.  Returns 1 if any failed.
fuzz() {
  local san="-fsanitize=address,undefined -fno-omit-frame-pointer" status=0 lang target name
  local langs programs=
  for target in $PARSER_TARGETS; do programs+=" tests/fuzz-${target%%:*}"; done
  # shellcheck disable=SC2086 # one word per program
  if ! { build fuzz CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link $san" LDFLAGS="$san" \
           --enable-fuzzing &&
         make -C build/fuzz -s tests/fuzz-tracker tests/fp-track $programs &&
         rm -rf build/fuzz/seeds && python3 tests/languages/streams.py --seeds build/fuzz/seeds &&
         ( for target in $PARSER_TARGETS; do
             name=${target%%:*}
             FP_SRCDIR=$top "build/fuzz/tests/fuzz-$name" --seeds "build/fuzz/seeds/$name" \
               >/dev/null || exit 1
           done ) &&
         langs=$(build/fuzz/tests/fp-track --list | cut -d' ' -f1) && [ -n "$langs" ]; }; then
    mkdir -p build/fuzz/tests && echo "FUZZ FAIL build" >build/fuzz/tests/fuzz-build.log
    echo "   the fuzz targets did not build"
    return 1
  fi
  for lang in $langs; do
    FP_FUZZ_LANGUAGE=$lang run_fuzzer "$lang" build/fuzz/tests/fuzz-tracker 16384 || status=1
  done
  for target in $PARSER_TARGETS; do
    run_fuzzer "${target%%:*}" "build/fuzz/tests/fuzz-${target%%:*}" "${target#*:}" || status=1
  done
  return $status
}

# Count test cases (not programs) in the test logs of the given build dirs:
# Check's "Checks: N, Failures: F, Errors: E", unittest's "Ran N tests" /
# "FAILED (failures=F, errors=E)", fuzz()'s "FUZZ PASS|FAIL" and the parser
# fuzz targets' seed replays' "REPLAY PASS|FAIL".  Prints "PASSED FAILED".
count() {
  find "$@" -path '*/tests/*' -name '*.log' -print0 2>/dev/null | xargs -0 -r awk '
    /^(FUZZ|REPLAY) (PASS|FAIL) / { n++; if ($2 == "FAIL") f++ }
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
    make -C build/main -s helpers
    exec python3 demo/demo.py build/main
    ;;
  bench)
    install_packages
    build main
    make -C build/main -s helpers
    shift
    exec python3 bench/bench.py build/main "$@"
    ;;
  fuzz)
    install_packages
    fuzz
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
    if [ "$FUZZ_SECONDS" != 0 ]; then
      echo "== fuzzing each tracker and parser for ${FUZZ_SECONDS} s (libFuzzer, ASan, UBSan)"
      fuzz || status=1
    fi
    echo "== make distcheck"
    make -C build/main -s distcheck >build/distcheck.log 2>&1 \
      || { tail -50 build/distcheck.log; status=1; }
    read -r passed failed < <(count build/main build/asan build/fuzz)
    [ $status -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
    echo "$passed passed, $failed failed"
    exit $status
    ;;
  *)
    sed -n "2,8p" "$0" | sed "s/^# //"
    exit 2
    ;;
esac
