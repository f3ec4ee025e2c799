#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need, builds once, runs every test project,
# and ends with one line "N passed, M failed". Exit code is non-zero when anything failed.
#   tests/run.sh               all suites
#   tests/run.sh Core Agent    only the named test projects (ChatOps.<Name>.Tests)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/tests/.artifacts/results"
rm -rf "$results"
mkdir -p "$results"

need_packages=()
# Agent tests run real programs (uptime, free, df from procps/coreutils).
command -v uptime >/dev/null 2>&1 || need_packages+=(procps)
command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
# The admin page's browser test drives Debian's headless Chromium through its ChromeDriver.
[ -x /usr/bin/chromium ] || need_packages+=(chromium)
[ -x /usr/bin/chromedriver ] || need_packages+=(chromium-driver)
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing test dependencies: ${need_packages[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}") >/dev/null \
      || echo "warning: could not install ${need_packages[*]}; tests that need them will fail"
  else
    echo "warning: missing ${need_packages[*]}; run as root or install them (sudo apt-get install ${need_packages[*]})"
  fi
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
echo "Building (Release)..."
if ! dotnet build ChatOps.sln -c Release -nologo -v quiet > "$results/build.log" 2>&1; then
  grep -E 'error|Error' "$results/build.log" | sort -u | head -n 40
  echo "Build failed (full log: tests/.artifacts/results/build.log)."
  echo "0 passed, 1 failed"
  exit 1
fi

projects=()
if [ $# -gt 0 ]; then
  for name in "$@"; do projects+=("tests/ChatOps.$name.Tests"); done
else
  for dir in tests/*.Tests; do projects+=("$dir"); done
fi

passed=0; failed=0; skipped=0; broken=()
for project in "${projects[@]}"; do
  name=$(basename "$project")
  echo "=== $name"
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" --blame-hang-timeout 5m 2>&1 | grep -vE '^\s*$' | tail -n 60
  trx="$results/$name.trx"
  if [ ! -f "$trx" ]; then
    echo "!!! $name produced no results (crashed or did not build)"
    broken+=("$name"); failed=$((failed + 1)); continue
  fi
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p'); p=${p:-0}
  f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p'); f=${f:-0}
  total=$(echo "$counters" | sed -n 's/.* total="\([0-9]*\)".*/\1/p'); total=${total:-0}
  executed=$(echo "$counters" | sed -n 's/.* executed="\([0-9]*\)".*/\1/p'); executed=${executed:-0}
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + total - executed))
done

[ ${#broken[@]} -gt 0 ] && echo "Test projects without results: ${broken[*]}"
echo "Results (trx) are in tests/.artifacts/results."
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
