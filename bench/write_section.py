"""Puts a generated report into docs/benchmarks.md between its markers (<!-- NAME:begin --> ... <!-- NAME:end -->),
replacing what the last run wrote there and keeping every hand-written word around it; appends the block when the
markers are not there yet. Used by compare.sh and cluster.sh.

Usage: python3 bench/write_section.py DOC REPORT NAME
"""
import sys

doc, report, name = sys.argv[1], sys.argv[2], sys.argv[3]
rep = open(report).read()
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
text = open(doc).read()
block = begin + "\n" + rep.rstrip() + "\n" + end
if begin in text and end in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + "\n\n" + block + "\n"
open(doc, "w").write(text)
