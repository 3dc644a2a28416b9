"""Child process for the SIGKILL suite: stores analysis runs into a session file in a loop,
printing the number of each run once it is stored, until it is killed."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from physiocap.storage import RunToStore, store_analysis_runs


def main(path: str) -> None:
    record = {"values": list(range(2000)), "events": [{"t_s": i * 0.01, "kind": "step"}
                                                      for i in range(300)]}
    for index in range(1, 100_000):
        runs = [RunToStore("T01", "tug", "1", {"index": index}, record),
                RunToStore("T02", "grip", "1", {"index": index}, record)]
        numbers = store_analysis_runs(path, runs, datetime.now(UTC))
        print(numbers[0], flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
