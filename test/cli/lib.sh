# What the CLI test scripts share (sourced): counters and the two checks.
failures=0
passed=0
check() {  # name, expected substring, actual
  if [[ "$3" == *"$2"* ]]; then passed=$((passed + 1)); else
    failures=$((failures + 1)); echo "FAILED: $1: expected to find [$2] in [$3]"; fi
}
check_rc() {  # name, expected rc, actual rc
  if [[ "$2" == "$3" ]]; then passed=$((passed + 1)); else
    failures=$((failures + 1)); echo "FAILED: $1: exit code $3, expected $2"; fi
}
