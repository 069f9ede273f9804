#!/usr/bin/env python3
"""Writes a Marketo bulk-export style CSV of N leads, for the people-sync benchmark.

The columns are the 14 fields hail's Marketo sync requests, in the order it asks
for them; empty values are the literal `null`; a few values need RFC 4180 quoting
(commas, quotes) and some carry accents, so the benchmark exercises the
parser's slow paths too. About 90% of the leads have a sales owner.

Usage: python3 bench/gen_marketo_csv.py N OUT.csv    (1,000,000 rows take ~10 s)
The fake serves it with: tests/fake/fake_marketo.py --export-file OUT.csv, and hail
syncs it with HAIL_MARKETO_SMART_LIST_ID set (any integer).
"""
import random
import sys

FIELDS = ["id", "firstName", "lastName", "email", "phone", "title", "company", "leadSource",
          "linkedInProfileURL", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcOpptyId",
          "leadOwnerEmailAddress"]
FIRST = ["Ana", "Bo", "Chloé", "Dmitri", "Eva", "François", "Greta", "Hiro", "Inès", "Jon",
         "Kai", "Léa", "Mateo", "Nora", "Oskar", "Priya", "Quinn", "Rafael", "Søren", "Tess"]
LAST = ["Smith", "Müller", "O'Brien", "García", "Nguyen", "Kowalski", "Dubois", "Rossi",
        "Öztürk", "Johnson", "Lee", "Brown", "Novák", "Silva", "Khan", "Ivanova"]
COMPANIES = ["Acme", "Initech", "Globex, Inc.", "Umbrella \"Corp\"", "Stark Industries",
             "Wayne Enterprises", "Société Générale", "Hooli", "Pied Piper", "Vandelay"]
TITLES = ["CEO", "CTO", "VP Sales", "Engineer", "Director, Marketing", "Buyer", "null"]
SOURCES = ["Web", "Trade Show", "Referral", "Webinar", None]
OWNERS = ["rep%d@example.com" % i for i in range(50)]


def cell(v):
    if v is None:
        return "null"
    if v == "null":
        return '"null"'  # the string null, not the null literal
    if any(c in v for c in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    rnd = random.Random(42)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(FIELDS) + "\n")
        rows = []
        for i in range(1, n + 1):
            fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
            acct = rnd.randrange(1, 20000)
            title = rnd.choice(TITLES)
            if i % 997 == 0:
                # Quoted commas and quotes, but no line breaks: the fake's --export-file
                # mode counts numberOfRecords as lines.
                title = 'Head of "Ops", EMEA'
            row = [str(i), fn, ln, "%s.%s%d@example%d.com" % (fn.lower(), ln.lower(), i % 5000, i % 100),
                   "+1 555 %04d" % (i % 10000) if i % 3 else None, title, rnd.choice(COMPANIES),
                   rnd.choice(SOURCES), "https://www.linkedin.com/in/u%d" % i if i % 2 else None,
                   "00Q%012d" % i if i % 4 else None, "003%012d" % i if i % 4 == 0 else None,
                   "001%012d" % acct, "006%012d" % (acct * 3) if i % 5 == 0 else None,
                   rnd.choice(OWNERS) if i % 10 else None]
            rows.append(",".join(cell(v) for v in row))
            if len(rows) >= 10000:
                f.write("\n".join(rows) + "\n")
                rows = []
        if rows:
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
