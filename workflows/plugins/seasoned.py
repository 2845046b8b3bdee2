#!/usr/bin/env python3
"""seasoned.py REGION DAYS — exit 0 (yes) when the release in REGION has been there
for at least DAYS days by the run clock, else exit 1 (no)."""
import datetime
import sys

import _state

if len(sys.argv) != 3:
    sys.exit("usage: seasoned.py REGION DAYS")
region, days = sys.argv[1], float(sys.argv[2])
current = _state.read_region(region)
if current is None:
    print(f"nothing is deployed in {region}", file=sys.stderr)
    sys.exit(2)
since = datetime.datetime.fromisoformat(current["since"])
age = _state.now() - since
print(f"{current['release']} has been in {region} for {age.total_seconds() / 86400:.1f} days (need {days:g})")
sys.exit(0 if age >= datetime.timedelta(days=days) else 1)
