#!/usr/bin/env python3
"""cherry_pick.py BRANCH BASE — creates BRANCH from the tag BASE and cherry-picks
the newest fix from master onto it, in the scratch repository."""
import subprocess
import sys

import git_fix

if len(sys.argv) != 3:
    sys.exit("usage: cherry_pick.py BRANCH BASE")
branch, base = sys.argv[1], sys.argv[2]
r = git_fix.repo()
fix = git_fix.git(r, "log", "-1", "--format=%H", "master", "--", "fixes")
if not fix:
    sys.exit("no fix on master to cherry-pick")
git_fix.git(r, "checkout", "-q", "-B", branch, base)
try:
    git_fix.git(r, "cherry-pick", "-x", fix)
except Exception:
    # Leave the scratch repository as it was, then fail the step.
    subprocess.run(["git", "-C", str(r), "cherry-pick", "--abort"], capture_output=True)
    subprocess.run(["git", "-C", str(r), "checkout", "-q", "master"], capture_output=True)
    sys.exit(f"cherry-pick of {fix[:7]} onto {base} failed")
git_fix.git(r, "checkout", "-q", "master")
print(f"{branch} = {base} + {fix[:7]}:", git_fix.git(r, "log", "--oneline", "-2", branch).replace("\n", " | "))
