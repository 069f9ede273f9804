"""`hail mail classify` on the bounce corpus (../shared/testdata/bounces/,
real messages from many MTAs, with the expected results in expected.json).

Two figures, printed as `bounce corpus: kind N/M (P%), hard/soft N/M (P%)`:
  - kind: files whose kind (bounce, complaint, autoreply, other) matches;
  - hard/soft: bounce recipients (of the files expected to be bounces, in the
    order the report lists them) whose hard flag matches; a recipient we did
    not find counts as a miss.
The test fails below 97% and 92%. It also checks the output's shape: one
JSON object per file with exactly the documented members.
"""
import json
import os
import subprocess
import sys
import unittest

import harness

CORPUS = os.path.abspath(os.path.join(harness.SRC, "..", "shared", "testdata", "bounces"))
KIND_MIN = 97.0
HARD_MIN = 92.0


def pct(n, m):
    return 100.0 * n / m if m else 0.0


@unittest.skipUnless(os.path.exists(os.path.join(CORPUS, "expected.json")),
                     "no bounce corpus at %s (it lives beside the repository)" % CORPUS)
class BounceCorpus(unittest.TestCase):
    def test_figures(self):
        with open(os.path.join(CORPUS, "expected.json"), encoding="utf-8") as f:
            expected = json.load(f)
        names = sorted(expected)
        paths = [os.path.join(CORPUS, n) for n in names]
        p = subprocess.run([harness.BIN, "mail", "classify"] + paths, capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        got = {}
        for line in p.stdout.splitlines():
            o = json.loads(line)
            self.assertEqual(sorted(o), ["file", "kind", "recipients", "return_date"], line)
            self.assertIn(o["kind"], ("reply", "autoreply", "bounce", "complaint", "other"))
            for r in o["recipients"]:
                self.assertEqual(sorted(r), ["address", "hard", "status"], line)
                self.assertIsInstance(r["hard"], bool)
            self.assertTrue(o["return_date"] is None or len(o["return_date"]) == 10, line)
            got[os.path.basename(o["file"])] = o
        self.assertEqual(sorted(got), names)

        kind_ok = 0
        hard_ok = hard_all = 0
        misses = []
        for n in names:
            want, have = expected[n], got[n]
            if have["kind"] == want["kind"]:
                kind_ok += 1
            else:
                misses.append("%s: kind %s, expected %s" % (n, have["kind"], want["kind"]))
            if want["kind"] != "bounce":
                continue
            for i, r in enumerate(want["recipients"]):
                hard_all += 1
                mine = have["recipients"][i] if i < len(have["recipients"]) else None
                if mine is not None and mine["hard"] == r["hard"]:
                    hard_ok += 1
                else:
                    misses.append("%s: recipient %d hard=%s, expected %s (%s)" % (
                        n, i, mine and mine["hard"], r["hard"], r["reason"]))
        line = "bounce corpus: kind %d/%d (%.1f%%), hard/soft %d/%d (%.1f%%)" % (
            kind_ok, len(names), pct(kind_ok, len(names)), hard_ok, hard_all,
            pct(hard_ok, hard_all))
        print(line, file=sys.stderr)
        if os.environ.get("HAIL_VERBOSE"):
            print("\n".join(misses), file=sys.stderr)
        self.assertGreaterEqual(pct(kind_ok, len(names)), KIND_MIN, line)
        self.assertGreaterEqual(pct(hard_ok, hard_all), HARD_MIN, line)

    def test_unreadable_file(self):
        p = subprocess.run([harness.BIN, "mail", "classify", "/nonexistent/x.eml"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr, "hail: cannot read /nonexistent/x.eml: No such file or directory\n")

    def test_usage(self):
        p = subprocess.run([harness.BIN, "mail", "classify"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith("hail: mail classify needs at least one FILE\n\nUsage:\n"),
                        p.stderr)


if __name__ == "__main__":
    unittest.main()
