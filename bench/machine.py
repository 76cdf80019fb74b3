"""The CPU a benchmark ran on, printed beside every speed table: the CPU model changes between machines of
the project's kind (first-generation Zen with AVX2 to Zen 5 with AVX-512/VNNI), so only ratios measured in
one run are comparable, and the vector extensions explain most differences between runs."""

from __future__ import annotations

import os
import platform
from pathlib import Path

VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8",
                "amx_bf16")


def describe_cpu() -> str:
    """'<model name>, N cores, flags: ...' from /proc/cpuinfo (what `lscpu` reads), or the platform's word."""
    info = Path("/proc/cpuinfo")
    if not info.is_file():
        return f"{platform.processor() or 'unknown CPU'}, {os.cpu_count()} cores"
    fields = dict(line.split(":", 1) for line in info.read_text().splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    present = set(fields.get("flags", "").split())
    flags = [flag for flag in VECTOR_FLAGS if flag in present]
    return (f"{fields.get('model name', 'unknown CPU')} (family {fields.get('cpu family', '?')} model "
            f"{fields.get('model', '?')}), {os.cpu_count()} cores, flags: {' '.join(flags) or 'none of interest'}")
