#!/bin/sh
# demo.sh - the main job, end to end, against the local AWS emulator:
# start the emulator seeded with examples/emulator-seed.json, commit
# examples/policies/ to a fresh git repository, then validate, plan, apply,
# and plan again (which must say "No changes").  Everything happens under a
# temporary directory that is removed at the end.
set -eu
bin=${1:-build/snapkeep}
PYTHON=${PYTHON:-python3}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=$(mktemp -d "${TMPDIR:-/tmp}/snapkeep-demo.XXXXXX")
emu_pid=

cleanup() {
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "starting the AWS emulator on 127.0.0.1"
"$PYTHON" "$top/tests/emulator/emulator.py" --port 0 --ready-file "$work/port" \
	--state "$work/emulator-state.json" --seed "$top/examples/emulator-seed.json" \
	>"$work/emulator.log" 2>&1 &
emu_pid=$!
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$emu_pid" 2>/dev/null; then
		echo "demo: the emulator did not start:" >&2
		cat "$work/emulator.log" >&2
		exit 1
	fi
	sleep 0.1
done
port=$(cat "$work/port")
echo "emulator listening on http://127.0.0.1:$port"

# the emulator's test credentials; nothing from ~/.aws leaks in
export AWS_ACCESS_KEY_ID=AKIDSNAPKEEPTEST
export AWS_SECRET_ACCESS_KEY=snapkeep-emulator-secret
export AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export SNAPKEEP_STATE_DIR="$work/state"

step "committing examples/policies to a git repository"
repo="$work/policies"
mkdir -p "$repo"
cp -R "$top/examples/policies" "$repo/"
git -C "$repo" init -q -b main
git -C "$repo" add .
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -q -m "Backup policies for production and staging"
git -C "$repo" log --oneline

step "snapkeep validate"
"$bin" validate --repo "$repo" --path policies

step "snapkeep plan"
"$bin" plan --repo "$repo" --path policies

step "snapkeep apply --auto-approve"
"$bin" apply --repo "$repo" --path policies --auto-approve

step "snapkeep plan (after apply)"
out=$("$bin" plan --repo "$repo" --path policies --detailed-exitcode) || {
	rc=$?
	echo "$out"
	echo "demo: the plan after apply still has changes (exit $rc)" >&2
	exit 1
}
echo "$out"
echo "$out" | grep -q "No changes" || { echo "demo: expected 'No changes'" >&2; exit 1; }

step "done: the live backups match the policy in git"
