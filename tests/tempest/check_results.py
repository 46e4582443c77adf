#!/usr/bin/python3
"""check_results.py RESULTS.subunit [--must-pass FILE]... [--max-skips N] [--report OUT.md]

Reads a tempest subunit stream and prints the passed / failed / skipped counts
(a skipped class counts once, as its setUpClass entry, as tempest reports it),
then every failure and skip. Exit status 1 when a test failed, when a test named
in a --must-pass file (one test name per line, '#' comments) did not pass, or
when more than N entries were skipped; 0 otherwise.
"""
import argparse
import re
import sys

import subunit
import testtools


def load(path):
    tests = {}
    result = testtools.StreamToDict(lambda t: tests.__setitem__(t["id"], t))
    result.startTestRun()
    with open(path, "rb") as fh:
        subunit.ByteStreamToStreamResult(fh, non_subunit_name="stdout").run(result)
    result.stopTestRun()
    return tests


def bare(test_id):
    """The test name without tempest's [id-...,tags] suffix."""
    return re.sub(r"\[.*\]$", "", test_id)


def detail(test, name):
    d = (test.get("details") or {}).get(name)
    return d.as_text().strip() if d is not None else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("subunit")
    ap.add_argument("--must-pass", action="append", default=[])
    ap.add_argument("--max-skips", type=int)
    ap.add_argument("--report")
    args = ap.parse_args()

    tests = load(args.subunit)
    groups = {"success": [], "fail": [], "skip": []}
    for tid, t in sorted(tests.items()):
        status = {"xfail": "success", "uxsuccess": "fail"}.get(t["status"], t["status"])
        if status not in groups:
            status = "fail"
        groups[status].append(tid)
    lines = ["%d passed, %d failed, %d skipped" % (
        len(groups["success"]), len(groups["fail"]), len(groups["skip"]))]
    for tid in groups["fail"]:
        tb = detail(tests[tid], "traceback").splitlines()
        lines.append("FAILED %s\n    %s" % (tid, "\n    ".join(tb[-6:])))
    for tid in groups["skip"]:
        lines.append("skipped %s: %s" % (tid, detail(tests[tid], "reason")))

    ok = not groups["fail"]
    passed = {bare(t) for t in groups["success"]}
    for path in args.must_pass:
        with open(path) as fh:
            names = [l.strip() for l in fh if l.strip() and not l.startswith("#")]
        missing = [n for n in names if n not in passed]
        for n in missing:
            lines.append("NOT PASSED (required by %s): %s" % (path, n))
        ok = ok and not missing
    if args.max_skips is not None and len(groups["skip"]) > args.max_skips:
        lines.append("too many skips: %d > %d" % (len(groups["skip"]), args.max_skips))
        ok = False
    text = "\n".join(lines)
    print(text)
    if args.report:
        with open(args.report, "w") as fh:
            fh.write(text + "\n\n## passed\n\n" + "\n".join(groups["success"]) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
