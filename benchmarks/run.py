"""Run every benchmark script and print its tables: ``make bench``."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import (
    channels,
    channels_signing,
    discounts,
    health_score,
    health_velocity,
    inventory,
    lifecycle,
    money,
)

if __name__ == "__main__":
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.node()}")
    money.main()
    lifecycle.main()
    inventory.main()
    discounts.main()
    health_score.main()
    health_velocity.main()
    channels.main()
    channels_signing.main()
