#!/usr/bin/env python3
"""Loupe side by side with the tools people use today, on the same generated logs.

    python3 benches/compare/run.py --mb 64          # quick: 64 MB JSON + 64 MB text
    python3 benches/compare/run.py                  # the full run: 512 MB + 512 MB

What it does, in order (see benches/README.md):
  1. builds the generator and the `loupe` binary in release (cargo, the workspace's target dir);
  2. installs the peers into ~/.cache/loupe-peers without touching the build: DuckDB and chDB in
     a Python venv (then re-runs itself under that venv), ripgrep and zstd from apt when missing,
     angle-grinder (`cargo install ag`) only with --with-ag;
  3. generates the data (seeded; reused when the same size and seed are already there) and
     prepared copies without the timestamp prefix (NDJSON for the JSON logs, bare lines for text);
  4. ingests into a fresh Loupe store with the CLI (one process per file, each timed), settles
     it with `loupe compact` (timed; the queries run on the settled store), and loads DuckDB,
     timing both;
  5. runs canonical queries 1-9 on every system that can express them: a warm-up run, then the
     median of --runs hot runs; checks that every system's answer agrees (a mismatch is printed
     loudly and makes the exit status 1; a query a system cannot run yet is reported as
     UNSUPPORTED loudly, and with --strict also fails the run);
  6. prints one table (timings, Loupe/peer ratios, ingest MB/s, on-disk bytes) and writes it as
     Markdown to --report (default: print only).

Loupe runs through its CLI (`loupe query --output json`), so each `loupe` timing includes process
start and opening the store; `loupe-hot` times runs inside one process (`loupe query --repeat`),
as DuckDB and chDB are timed in this Python process; ripgrep and angle-grinder are processes
over the raw files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache" / "loupe-peers"
VENV = CACHE / "venv"

# Canonical queries (the same text as loupe_benches::CANONICAL_QUERIES).
JSON_NEEDLE = "qx7needle3f"
TEXT_NEEDLE = "zv9rareTOKEN"
QUERIES = {
    1: ("json", 'filter level = "ERROR" | stats count(*)'),
    2: ("json", "stats count(*) by service"),
    3: ("json", "stats avg(latency_ms), pct(latency_ms, 99) by service, bin(1h)"),
    4: ("json", "filter http.status >= 500 | sort @timestamp desc | limit 20"),
    5: ("json", f'filter @message like "{JSON_NEEDLE}" | stats count(*)'),
    6: ("json", "stats count_distinct(user.id)"),
    7: ("text", 'filter @message like "Failed password" | stats count(*)'),
    8: ("text", 'parse @message "from * port *" as ip, port | stats count(*) by ip | sort count(*) desc | limit 10'),
    9: ("text", f'filter @message like "{TEXT_NEEDLE}" | stats count(*)'),
}
SHAPES = {1: "count", 2: "groups", 3: "series", 4: "times", 5: "count", 6: "count", 7: "count", 8: "top", 9: "count"}

# SQL for DuckDB; {app} and {text} are the table or the raw-file reader.
DUCK = {
    1: "SELECT count(*) FROM {app} WHERE level = 'ERROR'",
    2: "SELECT service, count(*) FROM {app} GROUP BY service",
    3: "SELECT service, epoch_ms(date_trunc('hour', time::TIMESTAMP)), avg(latency_ms), "
       "quantile_cont(latency_ms, 0.99) FROM {app} GROUP BY ALL",
    4: "SELECT epoch_ms(time::TIMESTAMP) FROM {app} WHERE http.status >= 500 ORDER BY time DESC LIMIT 20",
    5: f"SELECT count(*) FROM {{app}} WHERE msg LIKE '%{JSON_NEEDLE}%'",
    6: "SELECT count(DISTINCT struct_extract(\"user\", 'id')) FROM {app}",
    7: "SELECT count(*) FROM {text} WHERE line LIKE '%Failed password%'",
    8: "SELECT ip, count(*) AS n FROM (SELECT CASE WHEN regexp_matches(line, 'from .*? port ') "
       "THEN regexp_extract(line, 'from (.*?) port ', 1) END AS ip FROM {text}) "
       "GROUP BY ip ORDER BY n DESC LIMIT 10",
    9: f"SELECT count(*) FROM {{text}} WHERE line LIKE '%{TEXT_NEEDLE}%'",
}
# SQL for chDB (ClickHouse) over the raw files; {app} and {text} are file() readers.
CH = {
    1: "SELECT count() FROM {app} WHERE level = 'ERROR'",
    2: "SELECT service, count() FROM {app} GROUP BY service",
    3: "SELECT service, toUnixTimestamp64Milli(toDateTime64(toStartOfHour(time), 3)), avg(latency_ms), "
       "quantileExactInclusive(0.99)(latency_ms) FROM {app} GROUP BY service, 2",
    4: "SELECT toUnixTimestamp64Milli(toDateTime64(time, 3)) FROM {app} WHERE http.status >= 500 "
       "ORDER BY time DESC LIMIT 20",
    5: f"SELECT count() FROM {{app}} WHERE position(msg, '{JSON_NEEDLE}') > 0",
    6: "SELECT uniqExact(user.id) FROM {app}",
    7: "SELECT count() FROM {text} WHERE position(line, 'Failed password') > 0",
    8: "SELECT ip, count() AS n FROM (SELECT if(match(line, 'from .*? port '), "
       "extract(line, 'from (.*?) port '), NULL) AS ip FROM {text}) GROUP BY ip ORDER BY n DESC LIMIT 10",
    9: f"SELECT count() FROM {{text}} WHERE position(line, '{TEXT_NEEDLE}') > 0",
}
# ripgrep: fixed-string line counts over the raw files.
RG = {5: ("json", JSON_NEEDLE), 7: ("text", "Failed password"), 9: ("text", TEXT_NEEDLE)}
# angle-grinder over the prepared files (no timestamp prefix), where its language fits.
AG = {
    1: ("json", '* | json | where level == "ERROR" | count'),
    2: ("json", "* | json | count by service"),
    5: ("json", f'"{JSON_NEEDLE}" | count'),
    6: ("json", "* | json | count_distinct(user.id)"),
    7: ("text", '"Failed password" | count'),
    9: ("text", f'"{TEXT_NEEDLE}" | count'),
}

LOUD = "!" * 78


def log(msg: str) -> None:
    print(f"[compare] {msg}", file=sys.stderr, flush=True)


def loud(msg: str) -> None:
    print(f"\n{LOUD}\n{msg}\n{LOUD}\n", file=sys.stderr, flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- setup


def ensure_python_peers(args) -> None:
    """Re-execs this script under the peers' venv, creating it first when needed."""
    try:
        import chdb  # noqa: F401
        import duckdb  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("LOUPE_COMPARE_IN_VENV"):
        sys.exit("duckdb/chdb still missing inside the venv; see the pip output above")
    py = VENV / "bin" / "python"
    if not py.exists():
        log(f"creating the peers' venv at {VENV}")
        run([sys.executable, "-m", "venv", str(VENV)])
    need = subprocess.run([str(py), "-c", "import duckdb, chdb"], capture_output=True).returncode
    if need != 0:
        log("pip install duckdb chdb (into the venv)")
        run([str(py), "-m", "pip", "install", "-q", "duckdb", "chdb"])
    os.environ["LOUPE_COMPARE_IN_VENV"] = "1"
    os.execv(str(py), [str(py), __file__, *sys.argv[1:]])


def ensure_apt(binary: str, package: str) -> bool:
    if shutil.which(binary):
        return True
    log(f"{binary} missing: apt-get install -y {package}")
    try:
        run(["apt-get", "update", "-qq"], stdout=subprocess.DEVNULL)
        run(["apt-get", "install", "-y", "-qq", package], stdout=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        loud(f"cannot install {package} ({e}); the {binary} column stays empty")
    return shutil.which(binary) is not None


def ensure_ag() -> str | None:
    path = shutil.which("agrind") or str(Path.home() / ".cargo" / "bin" / "agrind")
    if Path(path).exists():
        return path
    log("cargo install ag --locked (angle-grinder)")
    try:
        run(["cargo", "install", "ag", "--locked", "--root", str(CACHE / "cargo")])
    except subprocess.CalledProcessError as e:
        loud(f"cannot install angle-grinder ({e}); its column stays empty")
        return None
    return str(CACHE / "cargo" / "bin" / "agrind")


def target_dir() -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    if env:
        return Path(env)
    out = run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
              cwd=REPO, capture_output=True, text=True).stdout
    return Path(json.loads(out)["target_directory"])


def build(args) -> tuple[Path, Path]:
    tdir = target_dir()
    if not args.no_build:
        log("cargo build --release -p loupe -p loupe-benches --bin loupe --bin gen")
        run(["cargo", "build", "--release", "-p", "loupe", "-p", "loupe-benches",
             "--bin", "loupe", "--bin", "gen"], cwd=REPO)
    loupe = Path(args.loupe) if args.loupe else tdir / "release" / "loupe"
    gen = Path(args.gen) if args.gen else tdir / "release" / "gen"
    return loupe, gen


def generate(gen: Path, data: Path, mb: float, seed: int) -> dict:
    meta = data / "gen.json"
    if meta.exists():
        got = json.loads(meta.read_text())
        want = int(mb * 1024 * 1024)
        if got.get("seed") == seed and got["json"]["bytes"] >= want and got["json"]["bytes"] < want + 4096:
            log(f"reusing generated data in {data}")
            return got
    shutil.rmtree(data, ignore_errors=True)
    log(f"generating {mb} MB JSON + {mb} MB text (seed {seed}) into {data}")
    run([str(gen), "--out", str(data), "--mb", str(mb), "--seed", str(seed), "--aws-mb", "1"])
    # Prepared copies for the SQL engines: the export-style timestamp prefix stripped
    # (the JSON carries the same instant in its `time` field).
    for src, dst in (("json.log", "json.ndjson"), ("text.log", "text.lines")):
        with open(data / dst, "wb") as out:
            run(["cut", "-d", " ", "-f", "2-", str(data / src)], stdout=out)
    return json.loads(meta.read_text())


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---------------------------------------------------------------- answers


def norm_count(rows) -> int:
    return int(rows[0][0]) if rows else 0


def norm(shape: str, rows):
    """A system-independent answer: rows are tuples in the column order of the SQL above."""
    if shape == "count":
        return norm_count(rows)
    if shape == "groups":
        return {r[0]: int(r[1]) for r in rows}
    if shape == "series":
        return {(r[0], int(r[1])): (float(r[2]), float(r[3])) for r in rows}
    if shape == "times":
        return [int(r[0]) for r in rows]
    if shape == "top":
        return [(None if r[0] in (None, "", "\\N") else r[0], int(r[1])) for r in rows]
    raise ValueError(shape)


def loupe_rows(q: int, doc: dict):
    results = [{f["field"]: f["value"] for f in row} for row in doc["results"]]
    shape = SHAPES[q]

    def ts(text: str) -> int:
        t = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.timezone.utc)
        return round(t.timestamp() * 1000)

    if shape == "count":
        return [(next(iter(r.values())),) for r in results]
    if shape == "groups":
        return [(r.get("service"), r["count(*)"]) for r in results]
    if shape == "series":
        return [(r.get("service"), ts(r["bin(1h)"]), r["avg(latency_ms)"], r["pct(latency_ms, 99)"])
                for r in results]
    if shape == "times":
        return [(ts(r["@timestamp"]),) for r in results]
    if shape == "top":
        return [(r.get("ip"), r["count(*)"]) for r in results]
    raise ValueError(shape)


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)


# DataFusion's percentile_cont (behind Loupe's pct) quantises the interpolation weight to 1e-6,
# so pct may differ from exact linear interpolation by up to 1e-6 of the gap between the two
# neighbouring values; 1e-5 relative covers that and nothing coarser.
PCT_REL = 1e-5


def agree(shape: str, ref, got) -> bool:
    if shape == "series":
        return ref.keys() == got.keys() and all(
            close(ref[k][0], got[k][0]) and close(ref[k][1], got[k][1], PCT_REL) for k in ref)
    if shape == "top":
        # Counts must match position by position; names only where the count is not tied with
        # the last row (which rows make the cut among equal counts is not specified).
        if [c for _, c in ref] != [c for _, c in got]:
            return False
        cut = ref[-1][1] if ref else 0
        return {r for r in ref if r[1] > cut} == {g for g in got if g[1] > cut}
    return ref == got


def describe(got, ref, name: str, ref_name: str) -> str:
    """The first few differences, readable."""
    if isinstance(got, dict) and isinstance(ref, dict):
        out = []
        for k in sorted(set(got) | set(ref), key=str):
            a, b = got.get(k, "<missing>"), ref.get(k, "<missing>")
            same = (isinstance(a, tuple) and isinstance(b, tuple)
                    and all(close(x, y, PCT_REL) for x, y in zip(a, b))) or a == b
            if not same:
                out.append(f"  {k}: {name}={a} {ref_name}={b}")
        return f"  {len(out)} of {len(set(got) | set(ref))} keys differ:\n" + "\n".join(out[:8])
    return f"  {name}: {str(got)[:600]}\n  {ref_name}: {str(ref)[:600]}"


# ---------------------------------------------------------------- systems


class Loupe:
    name = "loupe"

    def __init__(self, binary: Path, store: Path):
        self.binary, self.store = binary, store

    def can(self, q: int) -> bool:
        return True

    def query(self, q: int):
        group, text = QUERIES[q]
        out = subprocess.run([str(self.binary), "--store", str(self.store), "query", "--group", group,
                              "--output", "json", text], capture_output=True, text=True)
        if out.returncode != 0:
            raise Unsupported(out.stderr.strip() or out.stdout.strip())
        return loupe_rows(q, json.loads(out.stdout))


class LoupeHot(Loupe):
    """Loupe's engine inside one process, as DuckDB and chDB are measured: one `loupe query
    --repeat N` call times each run in the process (process start and opening the store left
    out); the first run is the warm-up."""
    name = "loupe-hot"

    def timed(self, q: int, runs: int):
        group, text = QUERIES[q]
        out = subprocess.run([str(self.binary), "--store", str(self.store), "query", "--group", group,
                              "--output", "json", "--repeat", str(runs), text],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Unsupported(out.stderr.strip() or out.stdout.strip())
        times = [float(ms) / 1000 for run, ms in re.findall(r"run (\d+) took ([0-9.]+) ms", out.stderr)
                 if int(run) > 1]
        if not times:
            raise Unsupported("loupe query --repeat printed no timings")
        return statistics.median(times), loupe_rows(q, json.loads(out.stdout))


class Unsupported(Exception):
    pass


class DuckTable:
    name = "duckdb"

    def __init__(self, con):
        self.con = con

    def can(self, q: int) -> bool:
        return True

    def query(self, q: int):
        return self.con.execute(DUCK[q].format(app="app", text="text")).fetchall()


class DuckRaw:
    name = "duckdb-raw"

    def __init__(self, con, data: Path):
        self.con = con
        self.app = f"read_json('{data / 'json.ndjson'}', format='newline_delimited')"
        self.text = (f"read_csv('{data / 'text.lines'}', columns={{'line': 'VARCHAR'}}, delim=chr(1), "
                     "header=false, quote='', escape='', auto_detect=false)")

    def can(self, q: int) -> bool:
        return True

    def query(self, q: int):
        return self.con.execute(DUCK[q].format(app=self.app, text=self.text)).fetchall()


class ChDB:
    name = "chdb-raw"

    def __init__(self, data: Path):
        import chdb
        self.chdb = chdb
        self.app = f"file('{data / 'json.ndjson'}', 'JSONEachRow')"
        self.text = f"file('{data / 'text.lines'}', 'LineAsString')"

    def can(self, q: int) -> bool:
        return True

    def query(self, q: int):
        sql = CH[q].format(app=self.app, text=self.text) + " SETTINGS session_timezone = 'UTC'"
        res = self.chdb.query(sql, "JSONCompact")
        return [tuple(r) for r in json.loads(str(res))["data"]]


class Ripgrep:
    name = "ripgrep"

    def __init__(self, data: Path):
        self.data = data

    def can(self, q: int) -> bool:
        return q in RG

    def query(self, q: int):
        group, needle = RG[q]
        out = subprocess.run(["rg", "-c", "-F", needle, str(self.data / f"{group}.log")],
                             capture_output=True, text=True)
        if out.returncode not in (0, 1):
            raise Unsupported(out.stderr)
        return [(int(out.stdout.strip() or 0),)]


class AngleGrinder:
    name = "angle-grinder"

    def __init__(self, binary: str, data: Path):
        self.binary, self.data = binary, data

    def can(self, q: int) -> bool:
        return q in AG

    def query(self, q: int):
        group, text = AG[q]
        path = self.data / ("json.ndjson" if group == "json" else "text.lines")
        out = subprocess.run([self.binary, "--output", "json", text, "--file", str(path)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Unsupported(out.stderr.strip())
        # angle-grinder 0.19 prints one JSON array of result rows; older ones a row per line.
        text_out = out.stdout.strip()
        try:
            parsed = json.loads(text_out) if text_out else []
            rows = parsed if isinstance(parsed, list) else [parsed]
        except json.JSONDecodeError:
            rows = [json.loads(line) for line in text_out.splitlines() if line.strip()]
        if SHAPES[q] == "count":
            # A count over no matching line is an empty result, not a row holding 0.
            if not rows:
                return [(0,)]
            return [(next(v for k, v in rows[-1].items() if k.startswith("_count") or "count" in k),)]
        return [(r.get("service"), r.get("_count")) for r in rows]


def timed(fn, runs: int) -> tuple[float, object]:
    fn()  # warm-up (page cache, lazy loading)
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


# ---------------------------------------------------------------- report


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def fmt_time(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mb", type=float, default=512, help="MB of JSON logs and as many of text logs (default 512)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=5, help="hot runs per query and system (median reported)")
    p.add_argument("--work", default=str(CACHE / "work"), help="data, stores and peer files go here")
    p.add_argument("--loupe", help="use this loupe binary instead of building one")
    p.add_argument("--gen", help="use this gen binary instead of building one")
    p.add_argument("--no-build", action="store_true", help="do not run cargo build")
    p.add_argument("--with-ag", action="store_true", help="also install and run angle-grinder")
    p.add_argument("--no-zstd19", action="store_true", help="skip the slow zstd -19 size")
    p.add_argument("--strict", action="store_true", help="an unsupported query also fails the run")
    p.add_argument("--report", help="also write the Markdown table to this file")
    p.add_argument("--queries", default="1,2,3,4,5,6,7,8,9")
    args = p.parse_args()

    ensure_python_peers(args)
    import duckdb

    have_rg = ensure_apt("rg", "ripgrep")
    have_zstd = ensure_apt("zstd", "zstd")
    ag = ensure_ag() if args.with_ag else None
    loupe_bin, gen = build(args)

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"data-{args.mb:g}mb-seed{args.seed}"
    meta = generate(gen, data, args.mb, args.seed)
    raw = {g: (data / f"{g}.log").stat().st_size for g in ("json", "text")}
    raw_total = sum(raw.values())

    # Ingest into Loupe, timed end to end (process start to exit, fsyncs included).
    store = work / "loupe-store"
    shutil.rmtree(store, ignore_errors=True)
    per_file = {}
    for g in ("json", "text"):
        t0 = time.perf_counter()
        run([str(loupe_bin), "--store", str(store), "ingest", "--group", g, str(data / f"{g}.log")],
            stdout=subprocess.DEVNULL)
        per_file[g] = time.perf_counter() - t0
    loupe_ingest = sum(per_file.values())
    loupe_bytes = dir_bytes(store)
    log(f"loupe ingest: {raw_total / loupe_ingest / 2**20:.1f} MB/s, store {human(loupe_bytes)}")
    # Settle the store (`loupe compact`: segments recompressed at zstd 19), timed; the queries
    # run on the settled store.
    t0 = time.perf_counter()
    run([str(loupe_bin), "--store", str(store), "compact", "--group", "*"], stdout=subprocess.DEVNULL)
    compact_secs = time.perf_counter() - t0
    compacted_bytes = dir_bytes(store)
    log(f"loupe compact: {compact_secs:.1f} s, store {human(compacted_bytes)}")

    # DuckDB: load the prepared copies into an in-memory database, timed.
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE app AS SELECT * FROM read_json('{data / 'json.ndjson'}', format='newline_delimited')")
    con.execute(f"CREATE TABLE text AS SELECT line FROM read_csv('{data / 'text.lines'}', columns={{'line': 'VARCHAR'}}, "
                "delim=chr(1), header=false, quote='', escape='', auto_detect=false)")
    duck_load = time.perf_counter() - t0
    log(f"duckdb load: {raw_total / duck_load / 2**20:.1f} MB/s")

    # Sizes: DuckDB's own file, Parquet+zstd, zstd -3 / -19 of the raw files.
    sizes: dict[str, int | None] = {
        "raw (json.log + text.log)": raw_total,
        "Loupe store (as ingested)": loupe_bytes,
        f"Loupe store after `loupe compact` ({compact_secs:.1f} s)": compacted_bytes,
    }
    dfile = work / "duck.duckdb"
    for f in (dfile, work / "duck.duckdb.wal"):
        f.unlink(missing_ok=True)
    con.execute(f"ATTACH '{dfile}' AS f")
    con.execute("CREATE TABLE f.app AS SELECT * FROM app")
    con.execute("CREATE TABLE f.text AS SELECT * FROM text")
    con.execute("DETACH f")
    sizes["DuckDB file"] = dfile.stat().st_size
    pq = 0
    for t in ("app", "text"):
        path = work / f"{t}.parquet"
        con.execute(f"COPY {t} TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        pq += path.stat().st_size
    sizes["Parquet + zstd (DuckDB COPY)"] = pq
    if have_zstd:
        for level in ([3] if args.no_zstd19 else [3, 19]):
            total = 0
            for g in ("json", "text"):
                out = subprocess.run(["zstd", f"-{level}", "-T0", "-c", str(data / f"{g}.log")],
                                     capture_output=True, check=True)
                total += len(out.stdout)
            sizes[f"zstd -{level}"] = total
    log("sizes: " + ", ".join(f"{k} {human(v)}" for k, v in sizes.items() if v))

    systems = [Loupe(loupe_bin, store), LoupeHot(loupe_bin, store), DuckTable(con), DuckRaw(con, data),
               ChDB(data)]
    if have_rg:
        systems.append(Ripgrep(data))
    if ag:
        systems.append(AngleGrinder(ag, data))

    wanted = [int(x) for x in args.queries.split(",")]
    timings: dict[tuple[int, str], float | str] = {}
    mismatches, unsupported = [], []
    truth = {5: meta["json"]["needles"], 9: meta["text"]["needles"]}
    for q in wanted:
        shape = SHAPES[q]
        answers = {}
        for s in systems:
            if not s.can(q):
                continue
            try:
                if isinstance(s, LoupeHot):
                    secs, rows = s.timed(q, args.runs)
                else:
                    secs, rows = timed(lambda: s.query(q), args.runs)
                answers[s.name] = norm(shape, rows)
                timings[(q, s.name)] = secs
                log(f"q{q} {s.name}: {fmt_time(secs)}")
            except Exception as e:  # any failure of one system is reported, never fatal
                msg = str(e).splitlines()[0] if str(e) else type(e).__name__
                timings[(q, s.name)] = "unsupported"
                unsupported.append((q, s.name, msg))
                loud(f"UNSUPPORTED: q{q} on {s.name}: {QUERIES[q][1]}\n  {msg}")
        ref_name = "duckdb" if "duckdb" in answers else next(iter(answers), None)
        if ref_name is None:
            continue
        ref = answers[ref_name]
        if q in truth and ref != truth[q]:
            mismatches.append((q, "generator", truth[q], ref_name, ref))
        for name, got in answers.items():
            if not agree(shape, ref, got):
                mismatches.append((q, name, got, ref_name, ref))
    for q, name, got, ref_name, ref in mismatches:
        loud(f"MISMATCH q{q}: {name} disagrees with {ref_name}\n  query: {QUERIES[q][1]}\n"
             + describe(got, ref, name, ref_name))

    report = render(args, systems, wanted, timings, raw, per_file, duck_load, sizes,
                    meta, mismatches, unsupported)
    print(report)
    if args.report:
        Path(args.report).write_text(report)
    if mismatches:
        loud(f"{len(mismatches)} MISMATCH(ES): the systems do not agree (see above)")
        return 1
    if unsupported and args.strict:
        return 1
    return 0


def render(args, systems, wanted, timings, raw, per_file, duck_load, sizes, meta,
           mismatches, unsupported) -> str:
    raw_total = sum(raw.values())
    loupe_ingest = sum(per_file.values())
    import duckdb
    import chdb
    names = [s.name for s in systems]
    peers = [n for n in names if not n.startswith("loupe")]
    lines = []
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines.append(f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. "
                 f"Machine: {os.cpu_count()} cores ({cpu or platform.machine()}), {platform.system()}.")
    lines.append(f"Command: `python3 benches/compare/run.py {' '.join(sys.argv[1:])}`")
    lines.append(f"Data: seed {args.seed}; json.log {meta['json']['events']:,} events, "
                 f"{human(meta['json']['bytes'])}; text.log {meta['text']['events']:,} events, "
                 f"{human(meta['text']['bytes'])}. Median of {args.runs} hot runs after one warm-up.")
    lines.append(f"Peers: DuckDB {duckdb.__version__}, chDB {chdb.__version__}"
                 + (", ripgrep " + subprocess.run(["rg", "--version"], capture_output=True, text=True)
                    .stdout.split()[1] if shutil.which("rg") else "") + ".")
    lines.append("")
    hot = "loupe-hot" in names and "duckdb" in names
    head = ["query"] + names + [f"loupe/{p}" for p in peers] + (["loupe-hot/duckdb"] if hot else [])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for q in wanted:
        row = [f"q{q}"]
        lt = timings.get((q, "loupe"))
        for n in names:
            t = timings.get((q, n))
            row.append("UNSUPPORTED" if t == "unsupported" else fmt_time(t) if t is not None else "—")
        for pn in peers:
            t = timings.get((q, pn))
            row.append(f"{lt / t:.2f}×" if isinstance(lt, float) and isinstance(t, float) and t > 0 else "—")
        if hot:
            h, d = timings.get((q, "loupe-hot")), timings.get((q, "duckdb"))
            row.append(f"{h / d:.2f}×" if isinstance(h, float) and isinstance(d, float) and d > 0 else "—")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Queries: " + "; ".join(f"q{q} `{QUERIES[q][1]}`" for q in wanted) + ".")
    lines.append("")
    lines.append("| ingest | time | MB/s |")
    lines.append("|---|---|---|")
    mb = raw_total / 2**20
    lines.append(f"| Loupe (`loupe ingest`, raw files) | {loupe_ingest:.1f} s | {mb / loupe_ingest:.1f} |")
    for g, t in per_file.items():
        lines.append(f"| Loupe, {g}.log alone | {t:.1f} s | {raw[g] / 2**20 / t:.1f} |")
    lines.append(f"| DuckDB load (in-memory, prepared NDJSON + lines) | {duck_load:.1f} s | {mb / duck_load:.1f} |")
    lines.append("")
    lines.append("| on disk | bytes | vs raw |")
    lines.append("|---|---|---|")
    for k, v in sizes.items():
        if v:
            lines.append(f"| {k} | {v:,} ({human(v)}) | {v / raw_total:.3f} |")
    lines.append("")
    if mismatches:
        lines.append(f"**{len(mismatches)} mismatch(es)**: " + ", ".join(f"q{m[0]} {m[1]}" for m in mismatches))
    else:
        lines.append("All answers agree across the systems that ran each query"
                     " (and needle counts match the generator's ground truth).")
    if unsupported:
        lines.append("Unsupported: " + "; ".join(f"q{q} on {n} ({m[:120]})" for q, n, m in unsupported))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
