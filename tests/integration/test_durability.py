"""Nothing acknowledged is lost when the server is killed: users, teams,
memberships, tokens and sessions created over the API (and people imported
with the CLI) survive `kill -9` right after their 2xx replies. Runs with the
default database sync mode (HAIL_DB_SYNC unset = FULL)."""
import os

import harness
from apitest import ApiCase
from harness import Hail

ROUNDS = 3
USERS_PER_ROUND = 8


def people_csv(start, n, owner):
    lines = ["id,firstName,lastName,email,company,sfdcAccountId,leadOwnerEmailAddress"]
    for i in range(start, start + n):
        lines.append("%d,First%d,Last%d,p%d@example.com,Co%d,001ACC%d,%s"
                     % (i, i, i, i, i % 7, i % 3, owner))
    return "\n".join(lines) + "\n"


class DurabilityTest(ApiCase):
    def setUp(self):
        self.h = Hail()
        self.h.env.pop("HAIL_DB_SYNC", None)  # the default: synchronous = FULL
        self.admin = self.h.admin_token()

    def tearDown(self):
        self.close_checked(self.h)

    def ok(self, r, status=(200, 201, 204)):
        self.assertIn(r.status, status if isinstance(status, tuple) else (status,), r)
        return r.json

    def crash_and_restart(self):
        self.assertIsNotNone(self.h.proc)
        self.h.kill9()
        self.assertIsNone(self.h.proc)
        self.h.start()

    def all_people(self, token):
        out, cursor = [], None
        while True:
            r = self.h.request("GET", "/api/v1/people?limit=200" + ("&cursor=" + cursor if cursor else ""),
                               token=token)
            self.assertEqual(r.status, 200, r)
            out += r.json["data"]
            cursor = r.json["next_cursor"]
            if not cursor:
                return out

    def test_acknowledged_writes_survive_kill9(self):
        self.h.start()
        expect_users = {"admin@example.com": ("admin", True)}
        expect_teams = {}          # name -> set of member emails
        live_tokens = {}           # token -> email
        dead_tokens = []
        sessions = {}              # cookie -> email
        people = 0
        for rnd in range(ROUNDS):
            team = self.ok(self.h.request("POST", "/api/v1/teams", {"name": "Team %d" % rnd},
                                          token=self.admin), 201)
            expect_teams[team["name"]] = set()
            for i in range(USERS_PER_ROUND):
                email = "u%d.%d@example.com" % (rnd, i)
                u = self.ok(self.h.request("POST", "/api/v1/users",
                                           {"email": email, "name": "U %d %d" % (rnd, i),
                                            "role": "rep", "password": "password-%d-%d" % (rnd, i),
                                            "teams": [team["id"]] if i % 2 else []},
                                           token=self.admin), 201)
                expect_users[email] = ("rep", True)
                if i % 2:
                    expect_teams[team["name"]].add(email)
                if i % 3 == 0:
                    self.ok(self.h.request("PUT", "/api/v1/teams/%d/members/%d" % (team["id"], u["id"]),
                                           token=self.admin), 200)
                    expect_teams[team["name"]].add(email)
                if i == 1:
                    self.ok(self.h.request("PATCH", "/api/v1/users/%d" % u["id"], {"role": "manager"},
                                           token=self.admin), 200)
                    expect_users[email] = ("manager", True)
                if i == 2:
                    self.ok(self.h.request("DELETE", "/api/v1/users/%d" % u["id"], token=self.admin),
                            200)
                    expect_users[email] = ("rep", False)
            # A session and an API token made over the API.
            email = "u%d.0@example.com" % rnd
            cookie, csrf = self.session(self.h, email, "password-%d-0" % rnd)
            sessions[cookie] = email
            tok = self.ok(self.cookie_req(self.h, "POST", "/api/v1/tokens", cookie, csrf,
                                          {"name": "round %d" % rnd}), 201)["token"]
            live_tokens[tok] = email
            # A revoked token stays revoked.
            tok2 = self.ok(self.h.request("POST", "/api/v1/tokens", {}, token=self.admin), 201)
            self.ok(self.h.request("DELETE", "/api/v1/tokens/%d" % tok2["id"], token=self.admin),
                    204)
            dead_tokens.append(tok2["token"])
            # People imported while the server runs.
            path = os.path.join(self.h.dir, "round%d.csv" % rnd)
            with open(path, "w") as f:
                f.write(people_csv(1000 * (rnd + 1), 250, "u%d.0@example.com" % rnd))
            p = self.h.run("import", "people", path)
            self.assertEqual(p.returncode, 0, p.stderr)
            people += 250
            # A rename acknowledged last, then the crash.
            self.ok(self.h.request("PATCH", "/api/v1/teams/%d" % team["id"],
                                   {"name": "Team %d renamed" % rnd}, token=self.admin), 200)
            expect_teams["Team %d renamed" % rnd] = expect_teams.pop(team["name"])

            self.crash_and_restart()

            r = self.h.request("GET", "/api/v1/users?limit=200", token=self.admin)
            self.assertEqual(r.status, 200, r)
            got = {u["email"]: (u["role"], u["active"]) for u in r.json["data"]}
            self.assertEqual(got, expect_users)
            r = self.h.request("GET", "/api/v1/teams?limit=200", token=self.admin)
            got = {t["name"]: {m["email"] for m in t["members"]} for t in r.json["data"]}
            self.assertEqual(got, expect_teams)
            for tok, email in live_tokens.items():
                r = self.me(self.h, tok)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["email"], email)
            for tok in dead_tokens:
                self.assertError(self.me(self.h, tok),
                                 401, "unauthorized", "invalid or revoked API token")
            for cookie, email in sessions.items():
                r = self.cookie_req(self.h, "GET", "/api/v1/me", cookie)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["email"], email)
            listed = self.all_people(self.admin)
            self.assertEqual(len(listed), people)
            self.assertEqual(len({p["marketo_id"] for p in listed}), people)
            r = self.h.request("GET", "/api/v1/accounts/001ACC0/people?limit=200", token=self.admin)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.json["data"])

        self.h.kill9()
        if not harness.POSTGRES:
            self.assertEqual(self.h.sql_value("PRAGMA integrity_check"), "ok")
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM people"), people)

    def test_burst_then_kill9(self):
        """Every write answered before the kill is there, even in a tight burst."""
        self.h.start()
        acked = []
        for i in range(60):
            r = self.h.request("POST", "/api/v1/teams", {"name": "burst %02d" % i},
                               token=self.admin)
            self.assertEqual(r.status, 201, r)
            acked.append(r.json["name"])
        self.h.kill9()
        self.h.start()
        r = self.h.request("GET", "/api/v1/teams?limit=200", token=self.admin)
        self.assertEqual(sorted(t["name"] for t in r.json["data"]), acked)


if __name__ == "__main__":
    harness.main()
