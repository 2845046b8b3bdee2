#!/usr/bin/env python3
"""note.py TEXT… — records a step that a person would do (find the bug) in notes.log."""
import sys

import _state

_state.note(" ".join(sys.argv[1:]))
print("noted:", " ".join(sys.argv[1:]))
