"""Load test of the HTTP service: many uploads from concurrent clients against a real local server.

Usage: python bench/load_test.py [--uploads 240] [--clients 8] [--max-pending 4] [--data DIR] [--db URL]

Each client uploads distinct real face images and, on 429, waits for Retry-After and tries again.
Prints throughput and latency percentiles, then checks that nothing was lost: every upload was
answered 200 in the end, and the results store holds exactly one row per accepted scan.
Exits with status 1 when that check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from facetrust.media.files import media_files
from facetrust.service.launch import running_server
from facetrust.store import ResultStore


def client_loop(base: str, paths: list[Path], lock: threading.Lock, results: list[dict]) -> None:
    with httpx.Client(base_url=base, timeout=300) as client:
        while True:
            with lock:
                if not paths:
                    return
                path = paths.pop()
            data, retries, started = path.read_bytes(), 0, time.perf_counter()
            while True:
                response = client.post("/v1/scan", files={"file": (path.name, data)})
                if response.status_code != 429:
                    break
                retries += 1
                time.sleep(float(response.headers.get("Retry-After", "1")))
            body = response.json()
            with lock:
                results.append({"status": response.status_code, "retries": retries,
                                "seconds": time.perf_counter() - started,
                                "cached": body.get("stored", {}).get("cached"), "sha256": body.get("sha256")})


def run(base: str, files: list[Path], clients: int) -> tuple[list[dict], float]:
    pending, lock, results = list(reversed(files)), threading.Lock(), []
    threads = [threading.Thread(target=client_loop, args=(base, pending, lock, results)) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/data/faces/k140/test")
    parser.add_argument("--uploads", type=int, default=240)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-pending", type=int, default=4)
    parser.add_argument("--db", help="results store URL (default: a new SQLite file)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args()
    files = media_files(args.data)[: args.uploads]
    if len(files) < args.uploads:
        parser.error(f"{args.data} has only {len(files)} files")
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or f"sqlite:///{Path(folder) / 'load.db'}"
        with running_server(db, Path(folder) / "server.log", "--max-pending", str(args.max_pending)) as base:
            results, seconds = run(base, files, args.clients)
        store = ResultStore(db)
        rows = store.count()
        store.close()
    ok = [r for r in results if r["status"] == 200]
    latencies = np.array([r["seconds"] for r in ok]) * 1000
    summary = {
        "uploads": len(results), "clients": args.clients, "max_pending": args.max_pending,
        "answered_200": len(ok), "other_status": sorted({r["status"] for r in results} - {200}),
        "requests_refused_429": sum(r["retries"] for r in results), "seconds": round(seconds, 1),
        "uploads_per_second": round(len(ok) / seconds, 2),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1) if ok else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1) if ok else None,
        "new_scans": sum(r["cached"] is False for r in ok), "stored_rows": rows,
    }
    summary["nothing_lost"] = (len(ok) == len(files) and summary["new_scans"] == rows
                               and len({r["sha256"] for r in ok}) == rows)
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:22s} {value}")
    return 0 if summary["nothing_lost"] else 1


if __name__ == "__main__":
    sys.exit(main())
