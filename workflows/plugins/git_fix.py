#!/usr/bin/env python3
"""git_fix.py RELEASE — commits a bug fix on master in the scratch repository.

The repository is created on first use with one tagged commit per release
(ALICIA, BERTHA, CHARLIE, DARLENE, EDNA), so later steps can branch from them."""
import subprocess
import sys

import _state

RELEASES = ["ALICIA", "BERTHA", "CHARLIE", "DARLENE", "EDNA"]


def git(repo, *args):
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=flowrun demo", "-c", "user.email=demo@flowrun.invalid", *args],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def repo():
    r = _state.state_dir() / "repo"
    if not (r / ".git").exists():
        r.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "-b", "master", str(r)], check=True)
        for rel in RELEASES:
            (r / "RELEASE").write_text(rel + "\n")
            git(r, "add", "RELEASE")
            git(r, "commit", "-q", "-m", f"release {rel}")
            git(r, "tag", rel)
    return r


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: git_fix.py RELEASE")
    r = repo()
    # Each fix is a new file, so any fix cherry-picks cleanly onto any release.
    fixes = r / "fixes"
    fixes.mkdir(exist_ok=True)
    fix = fixes / f"fix-{len(list(fixes.iterdir())) + 1}.txt"
    fix.write_text(f"fix for the bug found in production (master is {sys.argv[1]}, run {_state.run_id()})\n")
    git(r, "add", str(fix.relative_to(r)))
    git(r, "commit", "-q", "-m", f"Fix the production bug (master is {sys.argv[1]})")
    print("fixed on master:", git(r, "rev-parse", "--short", "HEAD"))
