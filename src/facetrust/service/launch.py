"""Start `facetrust serve` as a separate process on a free port and wait until it answers: used by the
browser test, the load benchmark, and scripts that need a throwaway server."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_server(db_url: str, log: Path, *options: str, timeout: float = 120.0) -> Iterator[str]:
    """Yield the base URL of a server that answers /healthz; stop it afterwards."""
    port = free_port()
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "facetrust", "serve", "--port", str(port), "--db", db_url,
                                    *options], stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {timeout:.0f} s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
