#!/usr/bin/env bash
# Real Redis at scale: N redis-server 7.0 processes formed by redis-cli
# --cluster create with one replica each; prints formation time, CPU per
# wall second once formed, and RSS per node as JSON (bench/redis_scale.py).
#   bench/redis_scale.sh N [--idle SECONDS] [--node-timeout MS] [--port-base P]
exec /usr/bin/python3 "$(dirname "$0")/redis_scale.py" "$@"
