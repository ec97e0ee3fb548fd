#!/usr/bin/env python3
"""On-disk size of real log files stored in Loupe, against `zstd -19` of the same files.

For each raw log file of the shared corpus (loghub samples, the Elastic examples' Apache,
nginx JSON and Kafka logs, CloudTrail NDJSON; never the loghub ground-truth CSVs), this
ingests the file into a fresh store with `loupe ingest`, measures the segment files, runs
`loupe compact` (which recompresses segments written at ingest's fast zstd level at level 19)
and measures again, then compares with `zstd -19` of the raw file. `@message` stays byte-exact
in the store (the corpus conformance tests check every event comes back).

    python3 benches/compare/sizes.py --loupe target/release/loupe [--corpus ../shared/corpus]

Prints a Markdown table; exits 1 if any file's compacted store is larger than `zstd -19`.
When the corpus folder is absent it says so loudly and exits 0 (nothing measured).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FILES = [
    *(f"loghub/{s}/{s}_2k.log" for s in (
        "Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "Linux", "OpenSSH", "OpenStack",
        "Spark", "Zookeeper")),
    "elastic-examples/apache_logs",
    "elastic-examples/nginxplus_json_logs",
    "elastic-examples/kafka0-controller.log.2016-12-19-16",
    "elastic-examples/kafka0-state-change.log",
    "elastic-examples/kafka1-kafkaServer-gc.log",
    "cloudtrail-panther-analysis-tests/cloudtrail_events.ndjson",
]


def segment_bytes(store: Path) -> int:
    return sum(p.stat().st_size for p in store.rglob("*.lseg"))


def main() -> int:
    here = Path(__file__).resolve()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--loupe", required=True, help="the loupe binary (a release build)")
    p.add_argument("--corpus", default=str(here.parents[3] / "shared" / "corpus"))
    args = p.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"!!! SKIPPED: no corpus at {corpus}; nothing measured", file=sys.stderr)
        return 0
    if shutil.which("zstd") is None:
        print("!!! zstd is not installed (apt-get install zstd)", file=sys.stderr)
        return 1
    rows, over = [], []
    for rel in FILES:
        path = corpus / rel
        if not path.is_file():
            print(f"!!! SKIPPED: {rel} is not in the corpus", file=sys.stderr)
            continue
        raw = path.stat().st_size
        z19 = len(subprocess.run(["zstd", "-19", "-c", "-q", str(path)], check=True,
                                 capture_output=True).stdout)
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "store"
            loupe = [args.loupe, "--store", str(store)]
            subprocess.run([*loupe, "ingest", "--group", "g", str(path)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ingested = segment_bytes(store)
            subprocess.run([*loupe, "compact", "--group", "g"], check=True,
                           stdout=subprocess.DEVNULL)
            compacted = segment_bytes(store)
        rows.append((rel, raw, z19, ingested, compacted))
        if compacted > z19:
            over.append(rel)
    print("| file | raw | zstd -19 | Loupe, ingested | Loupe, compacted | compacted / zstd -19 |")
    print("|---|---|---|---|---|---|")
    for rel, raw, z19, ingested, compacted in rows:
        print(f"| {rel} | {raw:,} | {z19:,} | {ingested:,} | {compacted:,} | {compacted / z19:.2f} |")
    tot = [sum(r[i] for r in rows) for i in range(1, 5)]
    if rows:
        print(f"| **all** | {tot[0]:,} | {tot[1]:,} | {tot[2]:,} | {tot[3]:,} | {tot[3] / tot[1]:.2f} |")
    if over:
        print(f"!!! larger than zstd -19 after compaction: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
