#!/usr/bin/env python3
"""Monthly cost of the shipped tables (examples/tables/*.json) for a stated
workload, at on-demand and provisioned prices, Standard and Standard-IA:
the table in the README's "Tables from a spec" section.

    python3 examples/tables/costs.py

Units per call are ddb's measured ones (bench/README.md: "ddb::agent: cost
per call", "The semantic cache"), with DynamoDB's rules where DynamoDB Local's
meter differs (2 write units per item written in a transaction). Prices:
us-east-1, December 2026; change PRICES for another region.
"""

HOURS = 730          # a month, as AWS bills it
SECONDS = HOURS * 3600
PEAK = 4             # provisioned capacity sized for 4x the month's average rate

PRICES = {  # USD
    "STANDARD": {"wru": 0.625e-6, "rru": 0.125e-6, "gb": 0.25, "wcu_h": 0.00065, "rcu_h": 0.00013},
    # Standard-IA: requests 25% dearer, storage 60% cheaper.
    "STANDARD_INFREQUENT_ACCESS": {"wru": 0.78125e-6, "rru": 0.15625e-6, "gb": 0.10,
                                   "wcu_h": 0.00081, "rcu_h": 0.00016},
}
PITR_GB = 0.20               # continuous backups, per GB-month
STREAM_READS = 0.02 / 100e3  # GetRecords, after the free 2.5 million a month

# The agent-state table: 1 million agent runs a month, each:
AGENT_RUN = {
    "once: first run (claim, completion, read first)": (2.0, 0.5),
    "5 tool calls through the ledger": (10.0, 2.5),
    "a lease: acquire, 10 renewals, release": (12.0, 0.0),
    "10 memory appends of <= 1 KB with a run id (+1 unit each for the run index)": (20.0, 0.0),
    "memory: the last 20 messages, once": (0.0, 1.0),
    "2 checkpoints of 3 KB (the second a transaction with its parent's check) and a load": (3.0 + 2 * (1 + 3), 1.0),
    "10 rate-limit takes": (10.0, 0.0),
}
AGENT = {
    "spec": "agent-state.json",
    "workload": "1 million agent runs a month (each: an idempotency key, 5 tool calls "
                "in the ledger, a lease renewed 10 times, 10 messages, 2 checkpoints, "
                "10 rate-limit takes), 20 processes reading one flag set every 30 s, "
                "runs kept 7 days (TTL, ~18 KB each), PITR on, one stream consumer",
    "writes": 1e6 * sum(w for w, _ in AGENT_RUN.values()),
    "reads": 1e6 * sum(r for _, r in AGENT_RUN.values()) + 20 * 2 * SECONDS / 30,
    "gb": 1e6 / 30 * 7 * 18e3 / 1e9,
    "pitr": True,
    "stream_reads": SECONDS,  # one shard polled once a second
}
# The cache's two layouts, d = 384, answers of 2 KB: a million puts and five
# million hits a month (a miss costs no read: the process's own index says so).
LEAN = {
    "spec": "cache-lean.json",
    "workload": "1 million puts and 5 million hits a month (d = 384, 2 KB answers), "
                "entries kept 30 days (~3.1 KB each with the feed index)",
    "writes": 1e6 * 4 + 5e6 * 0.06,
    "reads": 5e6 * 0.5,
    "gb": 1e6 * 3.1e3 / 1e9,
    "pitr": False,
    "stream_reads": 0,
}
MNEME = {
    "spec": "cache-mneme.json",
    "workload": "the same in mneme's layout (a transaction per put and per hit, two "
                "ALL-projection indexes: each item stored 3 times, ~4 KB each)",
    "writes": 1e6 * 26 + 5e6 * 34,
    "reads": 1e6 * 1.0 + 5e6 * 0.5,
    "gb": 1e6 * 4e3 * 3 / 1e9,
    "pitr": False,
    "stream_reads": 0,
}


def monthly(t, table_class, provisioned):
    p = PRICES[table_class]
    if provisioned:
        wcu = -(-t["writes"] / SECONDS * PEAK // 1)  # whole units, rounded up
        rcu = -(-t["reads"] / SECONDS * PEAK // 1)
        requests = (wcu * p["wcu_h"] + rcu * p["rcu_h"]) * HOURS
    else:
        requests = t["writes"] * p["wru"] + t["reads"] * p["rru"]
    storage = t["gb"] * p["gb"] + (t["gb"] * PITR_GB if t["pitr"] else 0)
    streams = max(0.0, t["stream_reads"] - 2.5e6) * STREAM_READS
    return requests + storage + streams


def main():
    print("| table | workload | write / read units a month | on demand | provisioned (4x average) "
          "| on demand, Standard-IA | storage |")
    print("|---|---|---|---|---|---|---|")
    for t in (AGENT, LEAN, MNEME):
        print(f"| `{t['spec']}` | {t['workload']} | {t['writes'] / 1e6:,.1f} M / {t['reads'] / 1e6:,.1f} M "
              f"| ${monthly(t, 'STANDARD', False):,.2f} | ${monthly(t, 'STANDARD', True):,.2f} "
              f"| ${monthly(t, 'STANDARD_INFREQUENT_ACCESS', False):,.2f} | {t['gb']:,.1f} GB |")


if __name__ == "__main__":
    main()
