"""Regenerate the real sample recordings from the public datasets (never edit them by hand).

    python sample_recordings/real/make_real_samples.py [DATA]

``DATA`` defaults to ``../shared/data`` beside the checkout (or ``$PHYSIOCAP_SHARED_DATA``).
Writes, next to this script, one session file per dataset and the licence each dataset is
distributed under (the licences require that it travel with the copies):

* ``mobgap-lab_HA-001_Test5-Trial1.h5``: mobgap's lab example data (Apache-2.0), participant
  HA/001, straight walk at comfortable speed, lower back, INDIP and optical reference bouts;
* ``tug-watch_ll_01.h5``: tug-watch (MIT) run ``ll_01``, a TUG with the watch on the left
  wrist turning left, reference phase times from video.

When the datasets are absent it says so and writes nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from physiocap.workflows.importers.mobgap_lab import import_mobgap_lab_trial
from physiocap.workflows.importers.tug_watch import import_tug_watch_run

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_DATA = Path(os.environ.get("PHYSIOCAP_SHARED_DATA", REPO.parent / "shared" / "data"))

MOBGAP_PARTICIPANT = "HA/001"
MOBGAP_TRIAL = "TimeMeasure1.Test5.Trial1"
MOBGAP_FILE = "mobgap-lab_HA-001_Test5-Trial1.h5"
TUG_WATCH_RUN = "ll_01"
TUG_WATCH_FILE = "tug-watch_ll_01.h5"
LICENCE_FILES = {"mobgap-lab": "LICENSE-mobgap-lab.txt", "tug-watch": "LICENSE-tug-watch.txt"}


def main(argv: list[str]) -> int:
    data = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    missing = [name for name in LICENCE_FILES if not (data / name).is_dir()]
    if missing:
        print(f"skipped: dataset folder(s) {', '.join(missing)} not found under {data}; "
              "the committed samples are unchanged")
        return 0
    written = [
        import_mobgap_lab_trial(data / "mobgap-lab", MOBGAP_PARTICIPANT, MOBGAP_TRIAL,
                                HERE / MOBGAP_FILE, overwrite=True),
        import_tug_watch_run(data / "tug-watch", TUG_WATCH_RUN, HERE / TUG_WATCH_FILE,
                             overwrite=True),
    ]
    for dataset, name in LICENCE_FILES.items():
        shutil.copyfile(data / dataset / "LICENSE", HERE / name)
    for path in written:
        print(f"{path.relative_to(REPO)}: {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
