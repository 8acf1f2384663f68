"""The operator's side: land every feed message exactly once in bronze, or in the DLQ with a reason.

A consumer group reads `feeds.<feed>.<ISO3>` in micro-batches bounded by count, bytes and time.
Each message is decoded, its country checked against the topic's, its Ed25519 signature checked
against the registered key of that country, and its envelope and payload validated
(`streams.checking`: in a pool of worker processes while this process polls, lands and commits,
or in this process for a trickle of messages). Per batch and
partition, the accepted messages become one Parquet file named from the Kafka coordinates
(`<topic>+<partition>+<first>-<last>.parquet`); the file is made durable before the offsets are
committed, so a crash at any point leads to a replay that rewrites the same names: the lake holds
each message once without Kafka transactions. Everything else goes to `feeds.dlq` with the original
bytes and Kafka Connect style headers. Every message yields a receipt on `feeds.receipts.<ISO3>`
(batched: one Kafka message per landed batch and partition, `contracts.ReceiptBatch`).

Delivery guarantees: bronze is exactly-once; the DLQ and the receipts are at-least-once (a crash
after they were sent but before the commit sends them again, with the same message id, topic,
partition and offset, so readers can deduplicate on those).

The modules, one responsibility each:
- `consumer`: `Ingest`, the poll/dispatch loop, and the order of a flush (land, acknowledge,
  commit) on which the guarantee rests;
- `dispatch`: the checks in worker processes, verdicts back in offset order;
- `batches`: partition batches and bronze landing (file names, replacing an interrupted run's);
- `seen`: the message ids and record ids already landed, kept in the lake (replays are receipted
  `duplicate`, never landed twice; the delete rule);
- `erased`: the lake's tombstones (an erased record never lands again);
- `deletes`: the delete rule's rejection;
- `receipts`: receipts as `contracts.Receipt` declares them;
- `metrics`: the run's report, lag and the per-batch log line.
The lake layout and the bronze schema are `contracts.lake`'s; the DLQ headers `streams.dlq`'s.
"""

# What callers imported from the single module this package replaces.
from contracts.lake import BRONZE_SCHEMA, bronze_dir, bronze_name, parse_bronze_name
from streams.checking import Rejected
from streams.dlq import H_OFFSET, H_TOPIC
from streams.ingest.consumer import Ingest, ingest
from streams.ingest.metrics import IngestReport
from streams.topics import MiB

__all__ = [
    "BRONZE_SCHEMA",
    "H_OFFSET",
    "H_TOPIC",
    "Ingest",
    "IngestReport",
    "MiB",
    "Rejected",
    "bronze_dir",
    "bronze_name",
    "ingest",
    "parse_bronze_name",
]
