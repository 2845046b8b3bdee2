"""Shared helpers for the demo plugins: the demo state folder and the run clock.

State lives in $FLOWRUN_DEMO_STATE (default: .demo-state beside the flows):
  deploys.log         one line per deploy: time, release, region, run id
  regions/<REGION>    the release deployed there and when (JSON)
  notes.log           what the manual-ish steps recorded
  repo/               a scratch git repository for the hotfix flow
"""
import datetime
import json
import os
import pathlib
import sys


def state_dir() -> pathlib.Path:
    d = pathlib.Path(os.environ.get("FLOWRUN_DEMO_STATE", ".demo-state"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def now() -> datetime.datetime:
    """The run's clock (FLOWRUN_NOW): virtual under --clock virtual."""
    raw = os.environ.get("FLOWRUN_NOW")
    if not raw:
        sys.exit("FLOWRUN_NOW is not set: run this through flowrun")
    return datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))


def run_id() -> str:
    return os.environ.get("FLOWRUN_RUN_ID", "?")


def read_region(region: str):
    f = state_dir() / "regions" / region
    return json.loads(f.read_text()) if f.exists() else None


def write_region(region: str, release: str, at: datetime.datetime) -> None:
    d = state_dir() / "regions"
    d.mkdir(exist_ok=True)
    (d / region).write_text(json.dumps({"release": release, "since": at.isoformat()}))


def note(line: str) -> None:
    with open(state_dir() / "notes.log", "a") as f:
        f.write(f"{now().isoformat()} {line} run={run_id()}\n")
