#!/usr/bin/python3
"""boto3 (Debian's python3-boto3) as a peer of ddb (bench/peers/run).

GetItem with CONCURRENCY requests in flight (one thread each: boto3's
documented way to run calls concurrently, its client is thread-safe) against
the canned nginx, or Query pages decoded. Defaults as documented, except the
connection pool, which holds as many connections as requests in flight
(max_pool_connections, 10 by default: with 64 threads boto3 would discard
connections and warn).

    peer.py get-item URL SECONDS CONCURRENCY
    peer.py query URL SECONDS          (PAGE_BYTES in the environment)

Prints one JSON line: operations and CPU seconds after a warm-up, peak RSS.
"""
import json
import os
import resource
import sys
import threading
import time

import boto3
from botocore.config import Config


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run(workers, seconds, call):
    """Runs call from `workers` threads: 2 s of warm-up, then `seconds` measured."""
    state = {"measuring": False, "stop": False, "done": 0, "error": None}
    lock = threading.Lock()

    def worker():
        while not state["stop"]:
            try:
                call()
            except Exception as e:  # reported below, the run fails
                state["error"] = e
                state["stop"] = True
                return
            if state["measuring"]:
                with lock:
                    state["done"] += 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    time.sleep(2)
    cpu0, t0 = cpu_seconds(), time.monotonic()
    state["measuring"] = True
    time.sleep(seconds)
    state["measuring"] = False
    with lock:
        n = state["done"]
    cpu, wall = cpu_seconds() - cpu0, time.monotonic() - t0
    state["stop"] = True
    for t in threads:
        t.join()
    if state["error"] is not None:
        sys.exit(f"peer.py: {state['error']!r}")
    return n, cpu, wall


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: peer.py get-item|query URL SECONDS [CONCURRENCY]")
    op, url, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    concurrency = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    client = boto3.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="bench", aws_secret_access_key="bench",
        config=Config(max_pool_connections=max(concurrency, 10)))
    page_bytes = 0
    if op == "get-item":
        def call():
            out = client.get_item(TableName="bench", Key={"pk": {"S": "user#12345"}})
            if len(out["Item"]) != 4:
                raise RuntimeError(f"GetItem: {len(out['Item'])} attributes, expected 4")
        n, cpu, wall = run(concurrency, seconds, call)
    elif op == "query":
        page_bytes = int(os.environ["PAGE_BYTES"])

        def call():
            out = client.query(TableName="bench", KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": {"S": "user#12345"}})
            if len(out["Items"]) != 1000:
                raise RuntimeError(f"Query: {len(out['Items'])} items, expected 1000")
        n, cpu, wall = run(1, seconds, call)
    else:
        sys.exit(f"peer.py: unknown operation {op!r}")
    print(json.dumps({"peer": "python", "op": op, "ops": n, "cpu_s": round(cpu, 4), "wall_s": round(wall, 4),
                      "page_bytes": page_bytes,
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
