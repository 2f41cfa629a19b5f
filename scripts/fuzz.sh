#!/usr/bin/env bash
# Runs every fuzz target of the workspace for FUZZTIME each (default 30s).
# `make test` already runs their seed corpora; this searches for new inputs.
# A failing input is written under the package's testdata/fuzz/ by go test:
# commit it, so the regression test keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
status=0
for mod in pkg services/ingest services/enrich services/sink; do
  for pkg in $(cd "$mod" && go list ./...); do
    targets=$(cd "$mod" && go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
    for t in $targets; do
      echo "== $pkg $t ($fuzztime)"
      if ! (cd "$mod" && go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg"); then
        status=1
      fi
    done
  done
done
exit $status
