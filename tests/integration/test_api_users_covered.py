"""GET /api/v1/users/covered: whose Best Bets the caller may read (the Best
Bets page's picker). A manager gets themself and the members of their teams,
an admin every active user, a rep a 403; by name then id; a deactivated user
is left out. Both engines."""
import harness
from apitest import ApiCase
from harness import Hail


class UsersCoveredTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Hail()
        cls.admin = cls.h.admin_token()  # "Admin", admin@example.com, no team
        cls.h.add_user("boss@example.com", "Boss", "manager", team="East")
        cls.h.add_user("east@example.com", "East Rep", "rep", team="East")
        cls.h.add_user("both@example.com", "Both Rep", "rep", team="East")
        cls.h.run("user", "add", "--email", "gone@example.com", "--name", "Gone Rep", "--role",
                  "rep", "--team", "East", check=True)
        cls.h.add_user("west@example.com", "West Rep", "rep", team="West")
        cls.h.add_user("westboss@example.com", "West Boss", "manager", team="West")
        cls.tok = {e: cls.h.token(e) for e in ("boss@example.com", "east@example.com",
                                                "westboss@example.com")}
        cls.h.start()
        gone = cls.h.sql_value("SELECT id FROM users WHERE email = 'gone@example.com'")
        r = cls.h.request("DELETE", "/api/v1/users/%d" % gone, token=cls.admin)
        assert r.status in (200, 204), r

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def ids(self, *emails):
        return {e: self.h.sql_value("SELECT id FROM users WHERE email = ?", e) for e in emails}

    def covered(self, token):
        r = self.h.request("GET", "/api/v1/users/covered", token=token)
        self.assertEqual(r.status, 200, r)
        return r.json["data"]

    def test_manager_sees_own_teams(self):
        i = self.ids("both@example.com", "boss@example.com", "east@example.com")
        self.assertEqual(self.covered(self.tok["boss@example.com"]), [
            {"id": i["boss@example.com"], "name": "Boss", "email": "boss@example.com",
             "role": "manager"},
            {"id": i["both@example.com"], "name": "Both Rep", "email": "both@example.com",
             "role": "rep"},
            {"id": i["east@example.com"], "name": "East Rep", "email": "east@example.com",
             "role": "rep"},
        ])
        self.assertEqual([u["email"] for u in self.covered(self.tok["westboss@example.com"])],
                         ["westboss@example.com", "west@example.com"])

    def test_admin_sees_everyone_active(self):
        self.assertEqual([u["name"] for u in self.covered(self.admin)],
                         ["Admin", "Boss", "Both Rep", "East Rep", "West Boss", "West Rep"])

    def test_rep_is_refused(self):
        r = self.h.request("GET", "/api/v1/users/covered", token=self.tok["east@example.com"])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json, {"error": {"code": "forbidden",
                                            "message": "this needs the manager or admin role"}})

    def test_signed_out_is_refused(self):
        r = self.h.request("GET", "/api/v1/users/covered")
        self.assertEqual(r.status, 401, r)

    def test_a_covered_users_best_bets_and_no_other(self):
        i = self.ids("east@example.com", "west@example.com")
        boss = self.tok["boss@example.com"]
        r = self.h.request("GET", "/api/v1/best-bets?user_id=%d" % i["east@example.com"], token=boss)
        self.assertEqual(r.status, 200, r)
        r = self.h.request("GET", "/api/v1/best-bets?user_id=%d" % i["west@example.com"], token=boss)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json, {"error": {"code": "not_found",
                                            "message": "no user with id %d" % i["west@example.com"]}})


if __name__ == "__main__":
    harness.main()
