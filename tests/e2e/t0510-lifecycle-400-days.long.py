#!/usr/bin/env python3
"""t0510's 400 days with the sanitized binary ($SNAPKEEP_BIN) instead of the release one:
800 applies and 400 plans under ASan + UBSan (tests/run --long)."""
import os
import sys

main = os.path.join(os.path.dirname(os.path.abspath(__file__)), "t0510-lifecycle-400-days.py")
os.execv(sys.executable, [sys.executable, main, "--sanitized"])
