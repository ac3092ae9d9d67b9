#!/bin/sh
# demo.sh - the main job, end to end, against the local AWS emulator:
# start the emulator seeded with examples/emulator-seed.json, commit
# examples/policies/ to a fresh git repository, then validate, plan, apply,
# and plan again (which must say "No changes"), and end with a restore drill
# of the production database that must pass: the emulator runs a real
# PostgreSQL 15 for it (make deps installs postgresql-15), the demo puts a
# table in it before the snapshot.  Everything happens under a temporary
# directory that is removed at the end.
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

# the production instance is a real PostgreSQL server: a table of books in it, for the drill to find
pg_port=$("$PYTHON" -c '
import json, sys, urllib.request
st = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/state?region=us-east-1&snapshots=0"))
print(next(i["pgPort"] for i in st["regions"]["us-east-1"]["instances"] if i["id"] == "mangu-publishing-db-production"))
' "$AWS_ENDPOINT_URL")
psql=/usr/lib/postgresql/15/bin/psql
[ -x "$psql" ] || psql=psql
step "a table of books in the production database (PostgreSQL on 127.0.0.1:$pg_port)"
PGPASSWORD=demo-drill-password "$psql" -X -q -h 127.0.0.1 -p "$pg_port" -U drill -d mangu_publishing -v ON_ERROR_STOP=1 -c "
CREATE TABLE books (id int PRIMARY KEY, title text NOT NULL, price numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO books (id, title, price) VALUES (1, 'Dune', 9.50), (2, 'Emma', 4.00), (3, 'Ulysses', 12.00);"
echo "3 books"

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

step "waiting for the production snapshot (a real base backup)"
"$PYTHON" -c '
import json, sys, time, urllib.request
for _ in range(600):
    st = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/state?region=us-east-1"))
    if any(s.get("tags", {}).get("snapkeep:policy") == "mangu-production" and s["status"] == "available"
           for s in st["regions"]["us-east-1"]["snapshots"]):
        sys.exit(0)
    time.sleep(0.2)
sys.exit("demo: the production snapshot did not become available")
' "$AWS_ENDPOINT_URL"
echo "available"

step "snapkeep drill (restore the newest snapshot, query it, delete it)"
SNAPKEEP_DRILL_PASSWORD=demo-drill-password "$bin" drill --repo "$repo" --path policies --instance mangu-publishing-db-production

step "done: the live backups match the policy in git, and the newest one restores"
