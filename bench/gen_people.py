#!/usr/bin/env python3
"""Writes a realistic Marketo-export CSV of N people for the benchmarks, plus search queries.

Usage: python3 bench/gen_people.py [-h] N OUT.csv
Writes OUT.csv and OUT.queries (OUT.csv without its extension, then .queries: one
URL-encoded search query a line), deterministically (the same N always gives the same
bytes). 1,000,000 rows take about 15-25 s.

A handful of names would make any 3-letter prefix match ~5% of everyone and flatter the
search and index figures. Here names are built from syllables: ~600 first names, ~6,000 last
names and ~40,000 companies, each drawn with a Zipf-like skew (a few are common, most are
rare, like real names), so a 3-letter prefix matches anything from a handful of people to a
few percent of them. Like the Marketo export, the 14 columns come in the order hail's sync
requests them, empty values are the literal `null`, some values need RFC 4180 quoting
(commas and quotes) and ~6% of names carry accents. About 90%
of the people have a sales owner (the active set).

Queries: 4,000 prefixes of 3-5 characters of the first name, last name, company or email of
people drawn at random from the active set (so each one matches at least one active person,
and popular prefixes come up as often as popular names do), folded to lower case.
"""
import argparse
import random
import sys
import unicodedata
import urllib.parse

FIELDS = ["id", "firstName", "lastName", "email", "phone", "title", "company", "leadSource",
          "linkedInProfileURL", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcOpptyId",
          "leadOwnerEmailAddress"]

ONSETS = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n",
          "p", "pr", "r", "s", "sh", "st", "t", "tr", "v", "w", "z", ""]
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "o", "ia", "ei", "ou", "y"]
CODAS = ["", "", "", "n", "r", "l", "s", "m", "nd", "rt", "ck", "th", "x", "ll"]
ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "n": "ñ", "c": "ç"}
TITLES = ["CEO", "CTO", "CFO", "VP Sales", "VP Engineering", "Software Engineer", "Engineer",
          "Director, Marketing", "Sales Manager", "Account Executive", "Buyer",
          "Head of Procurement", "Operations Manager", "Product Manager", "Analyst", "null"]
SUFFIXES = ["Inc.", "LLC", "GmbH", "Ltd", "Group", "Systems", "Labs", "Partners", "AG", "SA",
            "Technologies", "Holdings", "", "", ""]
SOURCES = ["Web", "Trade Show", "Referral", "Webinar", "Paid Search", "Partner", None]
OWNERS = ["rep%d@example.com" % i for i in range(200)]


def word(rnd, syllables):
    s = "".join(rnd.choice(ONSETS) + rnd.choice(VOWELS) + rnd.choice(CODAS)
                for _ in range(syllables))
    return s[:1].upper() + s[1:]


def accent(rnd, s):
    letters = [i for i, ch in enumerate(s) if ch in ACCENTED]
    if not letters:
        return s
    i = rnd.choice(letters)
    return s[:i] + ACCENTED[s[i]] + s[i + 1:]


def unique_words(rnd, n, syl_choices, accent_rate):
    seen, out = set(), []
    while len(out) < n:
        w = word(rnd, rnd.choice(syl_choices))
        if len(w) < 3 or w in seen:
            continue
        seen.add(w)
        if rnd.random() < accent_rate:
            w = accent(rnd, w)
        out.append(w)
    return out


def zipf_cum(n, s):
    cum, t = [], 0.0
    for r in range(1, n + 1):
        t += 1.0 / r ** s
        cum.append(t)
    return cum


def ascii_fold(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def cell(v):
    if v is None:
        return "null"
    if v == "null":
        return '"null"'  # the string null, not the null literal
    if any(c in v for c in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def positive_count(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number of people, not %r" % text)
    if n < 1:
        raise argparse.ArgumentTypeError("must be 1 or more, not %d" % n)
    return n


def parse_args(argv):
    # The help is this file's docstring, less its usage line (argparse writes that).
    doc = "\n".join(l for l in __doc__.strip().split("\n") if not l.startswith("Usage:"))
    p = argparse.ArgumentParser(prog="gen_people.py", description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("count", metavar="N", type=positive_count, help="how many people (rows)")
    p.add_argument("out", metavar="OUT.csv",
                   help="the CSV to write; the queries go to OUT.queries next to it")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    n = args.count
    out = args.out
    rnd = random.Random(20240601)
    first = unique_words(rnd, 600, [1, 2, 2, 3], 0.06)
    last = unique_words(rnd, 6000, [2, 2, 3], 0.06)
    comp_base = unique_words(rnd, 40000, [1, 2, 2, 3], 0.02)
    companies = []
    for i, b in enumerate(comp_base):
        suf = rnd.choice(SUFFIXES)
        if suf and i % 7 == 0:
            name = b + ", " + suf          # needs quoting
        elif suf:
            name = b + " " + suf
        else:
            name = b
        if i % 997 == 0:
            name = b + ' "The ' + rnd.choice(["Best", "Real", "Big"]) + '" Co'
        companies.append(name)
    domains = [ascii_fold(b).lower() + ".com" for b in comp_base]

    fi = rnd.choices(range(len(first)), cum_weights=zipf_cum(len(first), 0.9), k=n)
    li = rnd.choices(range(len(last)), cum_weights=zipf_cum(len(last), 0.8), k=n)
    ci = rnd.choices(range(len(companies)), cum_weights=zipf_cum(len(companies), 0.7), k=n)

    queries = []
    qrnd = random.Random(7)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(FIELDS) + "\n")
        rows = []
        for i in range(1, n + 1):
            fn, ln, c = first[fi[i - 1]], last[li[i - 1]], ci[i - 1]
            company = companies[c]
            email = "%s.%s%s@%s" % (ascii_fold(fn).lower(), ascii_fold(ln).lower(),
                                    str(i % 97) if i % 3 == 0 else "", domains[c])
            title = TITLES[i * 7919 % len(TITLES)]
            if i % 997 == 0:
                # The quoting path, exercised with a comma and quotes. (Line breaks inside
                # values are covered by the sync's integration tests; keeping them out of
                # this file keeps its cached outputs comparable across runs.)
                title = 'Head of Operations, "EMEA"'
            acct = c * 3 + (i % 3)          # a few accounts per company
            owner = OWNERS[(i * 31 + c) % len(OWNERS)] if i % 10 else None
            row = [str(i), fn, ln, email,
                   "+1 555 %03d %04d" % (i % 1000, i * 13 % 10000) if i % 3 else None,
                   title, company, SOURCES[i % len(SOURCES)],
                   "https://www.linkedin.com/in/%s-%s-%d" % (ascii_fold(fn).lower(),
                                                             ascii_fold(ln).lower(), i)
                   if i % 2 else None,
                   "00Q%012d" % i if i % 4 else None, "003%012d" % i if i % 4 == 0 else None,
                   "001%012d" % acct, "006%012d" % (acct * 7 + i % 2) if i % 5 == 0 else None,
                   owner]
            rows.append(",".join(cell(v) for v in row))
            if len(rows) >= 10000:
                f.write("\n".join(rows) + "\n")
                rows = []
            if owner and qrnd.random() < 4000.0 / (0.9 * n) and len(queries) < 4000:
                src = qrnd.choice([fn, ln, company, email])
                q = src.lower()[:qrnd.choice([3, 3, 4, 5])].strip()
                if len(q) >= 3 and q.isprintable():
                    queries.append(urllib.parse.quote(q, safe=""))
        if rows:
            f.write("\n".join(rows) + "\n")
    with open(out.rsplit(".", 1)[0] + ".queries", "w", encoding="utf-8") as f:
        f.write("\n".join(queries) + "\n")


if __name__ == "__main__":
    main()
