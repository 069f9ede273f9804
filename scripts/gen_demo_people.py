#!/usr/bin/env python3
"""Writes demo/people.csv: a few hundred made-up people in Marketo's export
columns, owned by the demo users, grouped into accounts and opportunities.
Deterministic (fixed seed), so the committed file can be regenerated exactly:
    python3 scripts/gen_demo_people.py > demo/people.csv
"""
import csv
import random
import sys
import unicodedata

FIELDS = ["id", "firstName", "lastName", "email", "phone", "title", "company", "leadSource",
          "linkedInProfileURL", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcOpptyId",
          "leadOwnerEmailAddress"]
FIRST = ["Amelia", "Bruno", "Camille", "Diego", "Elif", "Farah", "Gustav", "Hana", "Ignacio",
         "José", "Katarzyna", "Liam", "Maëlle", "Noah", "Olga", "Pål", "Renée", "Sakura",
         "Thomas", "Zoë", "Björn", "Chiara", "Dagný", "Émile"]
LAST = ["Anderson", "Bäcker", "Carvalho", "Dvořák", "Eriksson", "Fernández", "Gallagher",
        "Horváth", "Ishikawa", "Jäger", "Kowalczyk", "Laurent", "Müller", "Nakamura",
        "O'Connor", "Petrović", "Quintero", "Rossi", "Schmidt", "Thompson", "Ueda", "Vázquez"]
COMPANIES = [("Northwind Traders", "northwind.example"), ("Contoso, Ltd.", "contoso.example"),
             ("Fabrikam", "fabrikam.example"), ("Tailspin Toys", "tailspin.example"),
             ("Wide World Importers", "wwi.example"), ("Adventure Works", "adventure.example"),
             ("Lucerne Publishing", "lucerne.example"), ("Café Zürich AG", "cafe-zurich.example"),
             ("Proseware", "proseware.example"), ("Litware", "litware.example")]
TITLES = ["CEO", "CFO", "VP of Sales", "Head of Marketing", "IT Director", "Procurement Lead",
          "Operations Manager", "Software Engineer", "Account Executive", ""]
SOURCES = ["Web", "Webinar", "Trade Show", "Referral", "Partner", ""]
OWNERS = ["rep1@example.com", "rep2@example.com", "manager@example.com"]


def main():
    rnd = random.Random(2026)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(FIELDS)
    for i in range(1, 301):
        fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
        ci = rnd.randrange(len(COMPANIES))
        company, domain = COMPANIES[ci]
        acct = "001DEMO%08d" % (ci + 1)
        oppty = "006DEMO%08d" % (ci + 1) if rnd.random() < 0.4 else ""
        contact = rnd.random() < 0.5
        local = "%s.%s" % (fn.lower(), ln.lower().replace("'", ""))
        local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
        owner = rnd.choice(OWNERS) if i % 12 else ""  # a few have no sales owner
        w.writerow([1000 + i, fn, ln, "%s@%s" % (local, domain),
                    "+1 206 555 %04d" % rnd.randrange(10000) if rnd.random() < 0.8 else "",
                    rnd.choice(TITLES), company, rnd.choice(SOURCES),
                    "https://www.linkedin.com/in/%s-%d" % (local, i) if rnd.random() < 0.6 else "",
                    "" if contact else "00QDEMO%08d" % i, "003DEMO%08d" % i if contact else "",
                    acct if contact else "", oppty if contact else "", owner])


if __name__ == "__main__":
    main()
