"""GET /api/v1/feed paged newest first (docs/insight.md, "The page"): a rep's
or manager's page is read per covered owner (activities.owner, kept by
migration 8's triggers) and per covered user, and the rule is unchanged — a
rep sees activities on their own people and their own actions, never
another team's; a manager the team's; an admin everything. Paging with
?before= walks the whole list without gaps or repeats, with and without the
type and human_only filters, and a person whose owner changes moves with all
their history to the new owner's feed."""
import unittest

import test_api_feed
TYPES = ["email_open", "email_send", "call", "email_click"]


class FeedPageTest(test_api_feed.FeedCase):
    """Team A: manager Mia, reps Ann and Al; team B: rep Bob; an admin."""

    # the same users and teams as the stream's visibility test
    setUpClass = classmethod(test_api_feed.VisibilityTest.setUpClass.__func__)
    tearDownClass = classmethod(test_api_feed.VisibilityTest.tearDownClass.__func__)

    def pages(self, who, limit, query=""):
        """Every id of the viewer's feed, page after page, and the pages' sizes."""
        got, sizes, before = [], [], None
        for _ in range(200):
            q = "?limit=%d%s%s" % (limit, "&before=%d" % before if before else "", query)
            r = self.h.request("GET", "/api/v1/feed" + q, token=self.tok[who])
            self.assertEqual(r.status, 200, r)
            got += [e["id"] for e in r.json["data"]]
            sizes.append(len(r.json["data"]))
            before = r.json["next"]
            if before is None:
                return got, sizes
            self.assertEqual(before, got[-1])
        self.fail("the feed did not end")

    def test_paging_keeps_the_rule_without_gaps_or_repeats(self):
        h = self.h
        uid = {u: self.uid(h, u + "@example.com") for u in ("ann", "al", "bob", "mia")}
        # Ann's person's owner is written in another case: compared as ASCII lowercase.
        owners = {"ann": "Ann@Example.com", "ann2": "ann@example.com", "al": "al@example.com",
                  "bob": "bob@example.com", "bob2": "BOB@example.com", "none": None}
        people = {k: self.add_person(h, v) for k, v in owners.items()}
        owner_of = {k: (v.lower() if v else None) for k, v in owners.items()}
        log = []  # (id, person key, user, machine, type)
        # Bob's people fill most of the log: Ann's are rare in it.
        plan = []
        for i in range(60):
            plan.append(("bob" if i % 2 else "bob2", None, 0))
            if i % 3 == 0:
                plan.append(("ann" if i % 2 else "ann2", None, i % 9 == 0))
            if i % 5 == 0:
                plan.append(("bob", "ann", 0))  # Ann emails Bob's person
            if i % 7 == 0:
                plan.append(("ann", "bob", 0))  # Bob calls Ann's person
            if i % 4 == 0:
                plan.append(("al", None, 0))
            if i % 11 == 0:
                plan.append(("none", None, 0))
                plan.append(("none", "mia", 0))
        for n, (p, user, machine) in enumerate(plan):
            t = TYPES[n % len(TYPES)]
            aid = self.act(h, people[p], t, user=uid[user] if user else None, machine=int(machine))
            log.append((aid, p, user, int(machine), t))

        covers = {"ann": {"ann"}, "al": {"al"}, "bob": {"bob"}, "mia": {"mia", "ann", "al"}}

        def want(who, human_only=True, types=None):
            out = []
            for aid, p, user, machine, t in log:
                if human_only and machine:
                    continue
                if types and t not in types:
                    continue
                if who != "admin":
                    mine = {u + "@example.com" for u in covers[who]}
                    if owner_of[p] not in mine and user not in covers[who]:
                        continue
                out.append(aid)
            return sorted(out, reverse=True)

        for who in ("ann", "al", "bob", "mia", "admin"):
            for limit in (1, 4, 7):
                got, sizes = self.pages(who, limit)
                self.assertEqual(got, want(who), (who, limit))
                self.assertTrue(all(s == limit for s in sizes[:-1]), (who, limit, sizes))
            got, _ = self.pages(who, 3, "&human_only=false")
            self.assertEqual(got, want(who, human_only=False), who)
            got, _ = self.pages(who, 2, "&type=call,email_send")
            self.assertEqual(got, want(who, types={"call", "email_send"}), who)
        # Ann's page never holds Bob's people's activities that Ann did not do.
        ann_ids = set(self.pages("ann", 5)[0])
        for aid, p, user, _, _ in log:
            if p in ("bob", "bob2") and user != "ann":
                self.assertNotIn(aid, ann_ids)

        # A person changing owner takes their history along: Ann's "ann2"
        # becomes Bob's (on either engine, by migration 8's trigger).
        h.sql("UPDATE people SET owner_email = ? WHERE id = ?", "Bob@Example.com",
              people["ann2"])
        owner_of["ann2"] = "bob@example.com"
        for who in ("ann", "bob", "mia", "admin"):
            got, _ = self.pages(who, 6, "&human_only=false")
            self.assertEqual(got, want(who, human_only=False), who)
        self.assertEqual(h.sql_value("SELECT count(*) FROM activities WHERE person_id = ?"
                                     " AND owner = 'bob@example.com'", people["ann2"]),
                         sum(1 for e in log if e[1] == "ann2"))
        # An activity recorded after the change gets the new owner.
        aid = self.act(h, people["ann2"], "call")
        log.append((aid, "ann2", None, 0, "call"))
        self.assertEqual(self.pages("bob", 50)[0], want("bob"))
        self.assertEqual(self.pages("ann", 50)[0], want("ann"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
