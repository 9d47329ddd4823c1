#!/bin/sh
# Run by `make demo` as `tongxin-devdb run -- sh scripts/demo.sh`: PGHOST, PGPORT, PGUSER,
# PGDATABASE and DATABASE_URL point at a throwaway server that is deleted afterwards.
set -e

echo "== tongxin db check: can we reach the database?"
.build/debug/tongxin db check

echo
echo "== tongxin db info: what the database holds"
.build/debug/tongxin db info
