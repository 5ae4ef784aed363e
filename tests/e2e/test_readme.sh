#!/usr/bin/env bash
# Every ```sql block of README.md runs against a real database (a small
# synthetic sweep with a failure in it), so the documentation cannot drift from
# the schema: each query must succeed and return at least one row. The spec
# block of "## The spec" must be examples/fashion-mnist.json.
. "$(dirname "$0")/lib.sh"
README=$(dirname "$0")/../../README.md
SPEC=$(dirname "$0")/../../examples/fashion-mnist.json

# The spec shown under "## The spec" is the demo's file, byte for byte.
shown=$(awk '/^## / {in_spec = ($0 == "## The spec")} in_spec && /^```json$/ {on = 1; next}
	on && /^```$/ {exit} on' "$README")
check "the README's spec block is examples/fashion-mnist.json" "$shown" "$(cat "$SPEC")"

cat >"$TMP/spec.json" <<'JSON'
{ "name": "readme", "trials": 4, "seed": 2, "task": "bowl",
  "objective": {"metric": "val_acc", "mode": "max"},
  "train": {"epochs": 3},
  "params": { "lr": {"log": [1e-4, 1e-1]} } }
JSON
start_daemon --slots 2
id=$("$CAVIAR" submit "$TMP/spec.json")
"$CAVIAR" wait "$id" >/dev/null
stop_daemon
# A failed trial, as a crashed worker would leave it, for the failures query.
sql "UPDATE trials SET status = 'failed', reason = 'diverged at epoch 2 step 17 (train_loss = nan)' WHERE number = 3"

n=0
while IFS= read -r -d $'\x1e' query; do
	n=$((n + 1))
	rows=$(sql "$query" 2>&1)
	if [ $? -ne 0 ] || [ -z "$rows" ]; then
		fail "README query $n returned nothing or failed: $query -> $rows"
	else
		echo "ok   README query $n: $(printf '%s' "$rows" | head -1)"
	fi
done < <(awk '/^```sql$/ {on = 1; q = ""; next} /^```$/ && on {on = 0; printf "%s\x1e", q; next} on {q = q $0 "\n"}' "$README")
check_true "the README has cookbook queries ($n)" test "$n" -ge 5
finish
