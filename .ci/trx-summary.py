#!/usr/bin/python3
"""Sum the outcomes of every VSTest .trx file under a directory.

Usage: trx-summary.py RESULTS_DIR

Prints one line per .trx file, then the closing line CI reads:
    N passed, N failed[, N skipped]
(", N skipped" only when skipped > 0). Exit status: 0 when at least one test
ran and none failed, 1 when a test failed or nothing ran, 2 on bad input.

Outcomes are counted from the individual <UnitTestResult> elements, not from
<Counters>: VSTest leaves Counters/@notExecuted at 0 for skipped xunit tests
(it only shows as total - executed), so the per-result outcomes are the
reliable source. Nested <InnerResults> (MSTest data rows, ordered tests) are
not counted twice: only direct children of <Results> count.
"""

import os
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"

# TRX outcome names (Microsoft.TestPlatform TrxLoggerObjectModel.TestOutcome).
PASSED = {"Passed", "PassedButRunAborted", "Warning", "Completed"}
FAILED = {"Failed", "Error", "Timeout", "Aborted", "Disconnected"}
# Everything else (NotExecuted, Inconclusive, NotRunnable, InProgress, Pending)
# is a test that did not run to a verdict: report it as skipped.


def strip(tag):
    return tag.split("}", 1)[-1]


def summarize(path):
    """Return (passed, failed, skipped, run_outcome, run_errors, failed_names)."""
    root = ET.parse(path).getroot()
    passed = failed = skipped = 0
    failed_names = []
    results = root.find(NS + "Results")
    if results is not None:
        for r in results:
            if strip(r.tag) not in ("UnitTestResult", "TestResultAggregation", "GenericTestResult"):
                continue
            outcome = r.get("outcome", "")
            if outcome in PASSED:
                passed += 1
            elif outcome in FAILED:
                failed += 1
                failed_names.append(r.get("testName", "?"))
            else:
                skipped += 1

    summary = root.find(NS + "ResultSummary")
    run_outcome = summary.get("outcome", "") if summary is not None else ""
    run_errors = []
    if summary is not None:
        for info in summary.iter(NS + "RunInfo"):
            if info.get("outcome") in ("Error", "Failed", "Aborted"):
                text = info.findtext(NS + "Text") or ""
                run_errors.append(text.strip().splitlines()[0] if text.strip() else "(no text)")
        counters = summary.find(NS + "Counters")
        if counters is not None:
            # Counters catches results that never reached <Results> (e.g. a
            # test host crash reported only as counts).
            c_failed = sum(int(counters.get(k, "0") or 0)
                           for k in ("failed", "error", "timeout", "aborted"))
            if c_failed > failed:
                failed = c_failed
    return passed, failed, skipped, run_outcome, run_errors, failed_names


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: trx-summary.py RESULTS_DIR", file=sys.stderr)
        return 2
    files = []
    for dirpath, _, names in os.walk(argv[1]):
        files.extend(os.path.join(dirpath, n) for n in names if n.endswith(".trx"))
    files.sort()

    total_p = total_f = total_s = 0
    bad_runs = 0
    for f in files:
        try:
            p, fl, s, outcome, errors, failed_names = summarize(f)
        except (ET.ParseError, OSError, ValueError) as e:
            print(f"trx: {os.path.basename(f)}: unreadable ({e})")
            bad_runs += 1
            continue
        print(f"trx: {os.path.basename(f)}: {p} passed, {fl} failed, {s} skipped (run {outcome or 'unknown'})")
        for name in failed_names[:50]:
            print(f"trx:   failed: {name}")
        if len(failed_names) > 50:
            print(f"trx:   ... and {len(failed_names) - 50} more")
        for e in errors[:10]:
            print(f"trx:   run error: {e}")
        total_p += p
        total_f += fl
        total_s += s

    ran = total_p + total_f
    if not files:
        print("error: no .trx result files were written (build failure or no test projects?)")
    elif ran == 0:
        print("error: zero tests ran")
    if bad_runs:
        print(f"error: {bad_runs} .trx file(s) could not be read")

    line = f"{total_p} passed, {total_f} failed"
    if total_s > 0:
        line += f", {total_s} skipped"
    print(line)
    return 0 if (ran > 0 and total_f == 0 and bad_runs == 0) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
