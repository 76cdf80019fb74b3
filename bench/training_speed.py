"""Memory layout benchmark: training and inference throughput of a backbone in the default (NCHW)
layout and in channels-last (NHWC), measured in one run on random input.

Usage: python bench/training_speed.py [--model effnet_lite0] [--size 256] [--batch 32] [--steps 4]

Prints images per second for each layout and the channels-last / default ratio, which is what the
trainer and the inference path rely on (facetrust.models.inference.channels_last).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from facetrust.models import create_model


def throughput(step: Callable[[], None], images_per_step: int, steps: int) -> float:
    step()  # warm-up: allocations and kernel selection
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return images_per_step * steps / (time.perf_counter() - start)


def measure(model_name: str, size: int, batch: int, steps: int, nhwc: bool) -> tuple[float, float]:
    torch.manual_seed(0)
    model = create_model(model_name, pretrained=False)
    images = torch.randn(batch, 3, size, size)
    labels = torch.randint(0, 2, (batch,)).float()
    if nhwc:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def train_step() -> None:
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(images).reshape(-1), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    def inference_step() -> None:
        with torch.inference_mode():
            model(images)

    model.train()
    train_rate = throughput(train_step, batch, steps)
    model.eval()
    return train_rate, throughput(inference_step, batch, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="effnet_lite0")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    rates = {nhwc: measure(args.model, args.size, args.batch, args.steps, nhwc) for nhwc in (False, True)}
    print(f"{args.model} at {args.size}px, batch {args.batch}, {torch.get_num_threads()} threads")
    print("| layout | train img/s | inference img/s |")
    print("|---|---:|---:|")
    for nhwc, (train_rate, infer_rate) in rates.items():
        print(f"| {'channels-last' if nhwc else 'default'} | {train_rate:.1f} | {infer_rate:.1f} |")
    (base_train, base_infer), (fast_train, fast_infer) = rates[False], rates[True]
    print(f"| ratio | {fast_train / base_train:.2f}x | {fast_infer / base_infer:.2f}x |")


if __name__ == "__main__":
    main()
