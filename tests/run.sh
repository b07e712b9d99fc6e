#!/bin/sh
# Run every test and end with one closing line CI recognises:
#   N passed, N failed
# C unit tests are cmocka programs in $BUILD/unit (their TAP output is
# counted); the rest is pytest (tests/test_*.py), driven by /usr/bin/python3.
# Exit status is non-zero on any failure, crash or runner error.
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
passed=0
failed=0
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$BUILD"/unit/test_*; do
	[ -x "$t" ] || continue
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	grep '^not ok \|^#' "$log" | sed "s|^|$(basename "$t"): |"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$(basename "$t"): exited with status $rc"; tail -20 "$log"
		f=1
	fi
	echo "unit $(basename "$t"): $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
done

P2O_BUILD="$BUILD" "$PYTHON" -m pytest -q -p no:cacheprovider -rfE tests >"$log" 2>&1
rc=$?
sed -n '/=\{5,\} short test summary/,$p;/^FAILED\|^ERROR/p' "$log" | sort -u | head -60
summary=$(tail -n 1 "$log")
p=$(echo "$summary" | grep -o '[0-9]* passed' | grep -o '[0-9]*')
f=$(echo "$summary" | grep -o '[0-9]* failed' | grep -o '[0-9]*')
e=$(echo "$summary" | grep -o '[0-9]* error' | grep -o '[0-9]*')
p=${p:-0}; f=$(( ${f:-0} + ${e:-0} ))
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	echo "pytest exited with status $rc:"; tail -30 "$log"
	f=1
fi
echo "pytest: $summary"
passed=$((passed + p))
failed=$((failed + f))

[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
