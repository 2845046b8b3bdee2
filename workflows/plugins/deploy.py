#!/usr/bin/env python3
"""deploy.py RELEASE REGION — "deploys" a release: appends to deploys.log, records the region."""
import sys

import _state

if len(sys.argv) != 3:
    sys.exit("usage: deploy.py RELEASE REGION")
release, region = sys.argv[1], sys.argv[2]
at = _state.now()
with open(_state.state_dir() / "deploys.log", "a") as f:
    f.write(f"{at.isoformat()} deploy {release} {region} run={_state.run_id()}\n")
_state.write_region(region, release, at)
print(f"deployed {release} to {region} at {at.isoformat()}")
