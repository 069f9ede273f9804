#include "core/common.h"

#include "store/schema.h"

#include <stddef.h>
#include <stdlib.h>

#include "store/accounts.h"
#include "store/db.h"
#include "store/people.h"

/* The triggers' test for a bulk writer's transaction (migration 3). */
#define NOT_BULK " AND NOT EXISTS (SELECT 1 FROM kv WHERE key = '" PEOPLE_BULK_TX_KEY "')"

static const char *const migrations[] = {
    NULL,
    /* 1: accounts, people, sync state */
    "CREATE TABLE kv ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL);"

    "CREATE TABLE teams ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  created_at INTEGER NOT NULL);"

    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'rep')),"
    "  password_hash TEXT,"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"

    "CREATE TABLE team_members ("
    "  team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (team_id, user_id));"
    "CREATE INDEX team_members_user ON team_members(user_id);"

    /* Tokens are stored as SHA-256 of the secret; the plain token is shown once. */
    "CREATE TABLE api_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  token_hash BLOB NOT NULL UNIQUE,"
    "  prefix TEXT NOT NULL,"
    "  name TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  last_used_at INTEGER,"
    "  revoked_at INTEGER);"
    "CREATE INDEX api_tokens_user ON api_tokens(user_id);"

    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  token_hash BLOB NOT NULL UNIQUE,"
    "  csrf_token TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL);"
    "CREATE INDEX sessions_user ON sessions(user_id);"

    /* Failed logins, by key (email or client address), for rate limiting. */
    "CREATE TABLE login_failures ("
    "  key TEXT NOT NULL,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX login_failures_key ON login_failures(key, at);"

    /* People: a read-only copy of Marketo leads that have a sales owner.
     * active = 0 when the owner was
     * cleared or the lead deleted (deleted = 1); the row and its history stay. */
    "CREATE TABLE people ("
    "  id INTEGER PRIMARY KEY,"
    "  marketo_id INTEGER NOT NULL UNIQUE,"
    "  first_name TEXT, last_name TEXT, email TEXT, phone TEXT, title TEXT,"
    "  company TEXT, source TEXT, linkedin_url TEXT,"
    "  sfdc_lead_id TEXT, sfdc_contact_id TEXT, sfdc_account_id TEXT,"
    "  sfdc_opportunity_id TEXT, owner_email TEXT,"
    "  active INTEGER NOT NULL,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"

    /* Folded search keys of active people (see store/people.c). */
    "CREATE TABLE people_search ("
    "  key TEXT NOT NULL,"
    "  person_id INTEGER NOT NULL,"
    "  PRIMARY KEY (key, person_id)) WITHOUT ROWID;"

    /* One row per sync run, for status and history. */
    "CREATE TABLE sync_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  origin TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  started_at INTEGER NOT NULL,"
    "  finished_at INTEGER,"
    "  people_seen INTEGER NOT NULL DEFAULT 0,"
    "  people_written INTEGER NOT NULL DEFAULT 0,"
    "  people_deactivated INTEGER NOT NULL DEFAULT 0,"
    "  api_calls INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT);"
    "CREATE INDEX sync_runs_source ON sync_runs(source, id);",

    /* 2: expired sessions are deleted a bounded batch at a time, and old failed
     * logins forgotten on each attempt, without scanning (store/users.c) */
    "CREATE INDEX sessions_expires ON sessions(expires_at);"
    "CREATE INDEX login_failures_at ON login_failures(at);",

    /* 3: accounts (store/accounts.c): how many active people each account
     * has per company, kept by triggers in the transaction of every people
     * write, so that a page of accounts reads a few rows per account rather
     * than all its people. company '' stands for none (NULL or empty). The
     * triggers are silent in a bulk writer's transactions: those hold the kv
     * row PEOPLE_BULK_TX_KEY, which no other connection ever sees (it is
     * deleted before each commit), and the writer rebuilds the counts after
     * the load (store/accounts.c, accounts_rebuild). */
    "CREATE TABLE account_companies ("
    "  account_id TEXT NOT NULL,"
    "  company TEXT NOT NULL,"
    "  people INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, company)) WITHOUT ROWID;"
    "CREATE INDEX account_companies_company"
    "  ON account_companies(company COLLATE NOCASE, account_id);"
    "INSERT INTO account_companies"
    "  SELECT sfdc_account_id, coalesce(company, ''), count(*) FROM people"
    "  WHERE active = 1 AND sfdc_account_id IS NOT NULL GROUP BY 1, 2;"
    "CREATE TRIGGER account_companies_insert AFTER INSERT ON people"
    "  WHEN new.active = 1 AND new.sfdc_account_id IS NOT NULL" NOT_BULK " BEGIN"
    "  INSERT INTO account_companies VALUES (new.sfdc_account_id, coalesce(new.company, ''), 1)"
    "    ON CONFLICT (account_id, company) DO UPDATE SET people = people + 1;"
    "END;"
    "CREATE TRIGGER account_companies_delete AFTER DELETE ON people"
    "  WHEN old.active = 1 AND old.sfdc_account_id IS NOT NULL" NOT_BULK " BEGIN"
    "  UPDATE account_companies SET people = people - 1"
    "    WHERE account_id = old.sfdc_account_id AND company = coalesce(old.company, '');"
    "  DELETE FROM account_companies WHERE account_id = old.sfdc_account_id"
    "    AND company = coalesce(old.company, '') AND people <= 0;"
    "END;"
    "CREATE TRIGGER account_companies_update"
    "  AFTER UPDATE OF active, sfdc_account_id, company ON people"
    "  WHEN ((old.active = 1 AND old.sfdc_account_id IS NOT NULL)"
    "    OR (new.active = 1 AND new.sfdc_account_id IS NOT NULL))"
    "  AND NOT (old.active IS new.active AND old.sfdc_account_id IS new.sfdc_account_id"
    "    AND old.company IS new.company)" NOT_BULK " BEGIN"
    "  UPDATE account_companies SET people = people - 1"
    "    WHERE old.active = 1 AND account_id = old.sfdc_account_id"
    "    AND company = coalesce(old.company, '');"
    "  DELETE FROM account_companies WHERE old.active = 1 AND account_id = old.sfdc_account_id"
    "    AND company = coalesce(old.company, '') AND people <= 0;"
    "  INSERT INTO account_companies"
    "    SELECT new.sfdc_account_id, coalesce(new.company, ''), 1"
    "    WHERE new.active = 1 AND new.sfdc_account_id IS NOT NULL"
    "    ON CONFLICT (account_id, company) DO UPDATE SET people = people + 1;"
    "END;",

    /* 4: named leases (store/lease.h): one row per kind of work of which one
     * runs at a time on any node ('marketo.sync'); lease_owner and
     * lease_until are the columns every leased row has (job tables too).
     * The Marketo sync's lease was a kv row before. */
    "CREATE TABLE leases ("
    "  name TEXT PRIMARY KEY,"
    "  lease_owner TEXT,"
    "  lease_until INTEGER,"
    "  holder TEXT,"
    "  updated_at INTEGER NOT NULL);"
    "DELETE FROM kv WHERE key = 'marketo.sync.lease';",

    /* 5: sales email (docs/mail.md). activities is the one immutable log of
     * sales activity (svc/activity.c writes it, in the transaction of the
     * change); its primary key serves "everything since id N" and
     * activities_person "a person's history, newest first". Times are epoch
     * microseconds. Passwords of channels are sealed (mail/channel.c), never
     * stored in the clear. */
    "CREATE TABLE activities ("
    "  id INTEGER PRIMARY KEY,"
    "  type TEXT NOT NULL,"
    "  person_id INTEGER NOT NULL,"
    "  user_id INTEGER,"
    "  email_id INTEGER,"
    "  template_id INTEGER,"
    "  campaign_id INTEGER,"
    "  call_id INTEGER,"
    "  occurred_at INTEGER NOT NULL,"
    "  machine INTEGER NOT NULL DEFAULT 0,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX activities_person ON activities(person_id, id);"
    "CREATE INDEX activities_email ON activities(email_id, type) WHERE email_id IS NOT NULL;"

    "CREATE TABLE channels ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('maildir', 'smtp')),"
    "  is_default INTEGER NOT NULL DEFAULT 0,"
    "  smtp_host TEXT, smtp_port INTEGER, smtp_tls TEXT, smtp_username TEXT,"
    "  smtp_password BLOB,"
    "  imap_host TEXT, imap_port INTEGER, imap_tls TEXT, imap_username TEXT,"
    "  imap_password BLOB, imap_folder TEXT, imap_sent_folder TEXT,"
    "  per_minute INTEGER, per_hour INTEGER, per_day INTEGER, per_domain_per_hour INTEGER,"
    "  imap_uidvalidity INTEGER, imap_last_uid INTEGER,"
    "  imap_status TEXT, imap_error TEXT, imap_polled_at INTEGER,"
    "  smtp_status TEXT, smtp_error TEXT, smtp_checked_at INTEGER,"
    "  lease_owner TEXT, lease_until INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX channels_name ON channels(name COLLATE NOCASE);"
    "INSERT INTO channels (id, name, kind, is_default, created_at, updated_at)"
    "  VALUES (1, 'maildir', 'maildir', 1, 0, 0);"

    "CREATE TABLE senders ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  address TEXT NOT NULL,"
    "  display_name TEXT NOT NULL,"
    "  signature_html TEXT NOT NULL DEFAULT '',"
    "  channel_id INTEGER NOT NULL REFERENCES channels(id),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX senders_user_address ON senders(user_id, address COLLATE NOCASE);"
    "CREATE INDEX senders_channel ON senders(channel_id);"

    "CREATE TABLE templates ("
    "  id INTEGER PRIMARY KEY,"
    "  owner_id INTEGER NOT NULL REFERENCES users(id),"
    "  name TEXT NOT NULL,"
    "  category TEXT NOT NULL DEFAULT '',"
    "  subject TEXT NOT NULL,"
    "  body_html TEXT NOT NULL,"
    "  sharing TEXT NOT NULL CHECK (sharing IN ('private', 'teams', 'everyone')),"
    "  archived INTEGER NOT NULL DEFAULT 0,"
    "  commercial INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX templates_owner ON templates(owner_id, id);"
    "CREATE INDEX templates_shared ON templates(sharing, id) WHERE sharing <> 'private';"
    "CREATE TABLE template_favorites ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  template_id INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (user_id, template_id));"

    /* One row per email. status: draft, scheduled (due at next_attempt_at:
     * send_at, or later after a retry or a throttle), sending (leased by a
     * sender; lease_until), sent, failed (failed_reason, smtp_reply), bounced.
     * links: the JSON array of the original URLs, by link index. The human
     * counters (opens, clicks) and first/last times are kept here by the
     * tracking writer, machine events in machine_opens/machine_clicks. */
    "CREATE TABLE emails ("
    "  id INTEGER PRIMARY KEY,"
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  sender_id INTEGER NOT NULL REFERENCES senders(id),"
    "  channel_id INTEGER NOT NULL REFERENCES channels(id),"
    "  template_id INTEGER REFERENCES templates(id),"
    "  campaign_id INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('draft', 'scheduled', 'sending', 'sent', 'failed', 'bounced')),"
    "  to_address TEXT NOT NULL,"
    "  to_domain TEXT NOT NULL,"
    "  cc TEXT NOT NULL DEFAULT '[]',"
    "  bcc TEXT NOT NULL DEFAULT '[]',"
    "  subject TEXT NOT NULL,"
    "  body_html TEXT NOT NULL,"
    "  commercial INTEGER NOT NULL DEFAULT 1,"
    "  message_id TEXT UNIQUE,"
    "  in_reply_to TEXT,"
    "  refs TEXT,"
    "  links TEXT NOT NULL DEFAULT '[]',"
    "  send_at INTEGER,"
    "  time_zone TEXT,"
    "  next_attempt_at INTEGER,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  lease_owner TEXT, lease_until INTEGER,"
    "  sent_at INTEGER,"
    "  failed_reason TEXT,"
    "  smtp_reply TEXT,"
    "  opens INTEGER NOT NULL DEFAULT 0, first_open_at INTEGER, last_open_at INTEGER,"
    "  clicks INTEGER NOT NULL DEFAULT 0, first_click_at INTEGER, last_click_at INTEGER,"
    "  machine_opens INTEGER NOT NULL DEFAULT 0, machine_clicks INTEGER NOT NULL DEFAULT 0,"
    "  replied_at INTEGER, bounced_at INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX emails_due ON emails(next_attempt_at) WHERE status = 'scheduled';"
    "CREATE INDEX emails_sending ON emails(lease_until) WHERE status = 'sending';"
    "CREATE INDEX emails_person ON emails(person_id, id);"
    "CREATE INDEX emails_user ON emails(user_id, id);"
    "CREATE INDEX emails_sender ON emails(sender_id, id);"
    "CREATE INDEX emails_status ON emails(status, id);"
    "CREATE INDEX emails_leased ON emails(lease_owner) WHERE lease_owner IS NOT NULL;"
    "CREATE INDEX emails_template ON emails(template_id) WHERE template_id IS NOT NULL;"
    "CREATE INDEX emails_channel_sent ON emails(channel_id, sent_at) WHERE sent_at IS NOT NULL;"
    "CREATE INDEX emails_domain_sent ON emails(channel_id, to_domain, sent_at)"
    "  WHERE sent_at IS NOT NULL;"

    "CREATE TABLE email_attachments ("
    "  id INTEGER PRIMARY KEY,"
    "  email_id INTEGER NOT NULL REFERENCES emails(id) ON DELETE CASCADE,"
    "  filename TEXT NOT NULL,"
    "  content_type TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  data BLOB NOT NULL);"
    "CREATE INDEX email_attachments_email ON email_attachments(email_id);"

    /* Unsubscribes: the history (action, source) and the current state (a
     * row in people_unsubscribed while a person is unsubscribed). */
    "CREATE TABLE unsubscribes ("
    "  id INTEGER PRIMARY KEY,"
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  action TEXT NOT NULL CHECK (action IN ('unsubscribe', 'resubscribe')),"
    "  source TEXT NOT NULL,"
    "  user_id INTEGER,"
    "  email_id INTEGER,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX unsubscribes_person ON unsubscribes(person_id, id);"
    "CREATE TABLE people_unsubscribed ("
    "  person_id INTEGER PRIMARY KEY REFERENCES people(id),"
    "  since INTEGER NOT NULL,"
    "  source TEXT NOT NULL);"

    "CREATE TABLE blocked_domains ("
    "  domain TEXT PRIMARY KEY,"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL);"

    /* What came back: one row per message read (IMAP or POST /inbound). */
    "CREATE TABLE inbound_messages ("
    "  id INTEGER PRIMARY KEY,"
    "  channel_id INTEGER,"
    "  source TEXT NOT NULL,"
    "  imap_uid INTEGER,"
    "  message_id TEXT,"
    "  kind TEXT NOT NULL,"
    "  email_id INTEGER,"
    "  person_id INTEGER,"
    "  return_date TEXT,"
    "  detail TEXT NOT NULL DEFAULT '{}',"
    "  received_at INTEGER NOT NULL);"
    "CREATE INDEX inbound_messages_email ON inbound_messages(email_id) WHERE email_id IS NOT NULL;"
    "CREATE INDEX inbound_messages_channel ON inbound_messages(channel_id, imap_uid);"
    "CREATE INDEX inbound_messages_message_id ON inbound_messages(message_id)"
    "  WHERE message_id IS NOT NULL;",

    /* 6: campaigns, the scheduler, tasks, calls (issue 9). */
    "ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';"
    "ALTER TABLE users ADD COLUMN campaigns_paused_at INTEGER;"
    "ALTER TABLE people ADD COLUMN time_zone TEXT;"
    "ALTER TABLE emails ADD COLUMN campaign_member_id INTEGER;"
    "ALTER TABLE emails ADD COLUMN campaign_step INTEGER;"
    "ALTER TABLE emails ADD COLUMN task_id INTEGER;"
    "CREATE INDEX emails_campaign ON emails(campaign_id, campaign_step) WHERE campaign_id IS NOT "
    "NULL;"
    /* A campaign member's emails (a reply cancels the ones still queued). */
    "CREATE INDEX emails_campaign_member ON emails(campaign_member_id)"
    "  WHERE campaign_member_id IS NOT NULL;"
    /* A campaign: days of steps (campaign_steps) run per person (campaign_members). */
    "CREATE TABLE campaigns (id INTEGER PRIMARY KEY,"
    "  owner_id INTEGER NOT NULL REFERENCES users(id),"
    "  name TEXT NOT NULL,"
    "  category TEXT NOT NULL DEFAULT '',"
    "  sharing TEXT NOT NULL CHECK (sharing IN ('private', 'teams', 'everyone')),"
    "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'stopped')),"
    "  sender_id INTEGER REFERENCES senders(id),"
    "  time_zone TEXT NOT NULL DEFAULT 'UTC',"
    "  use_person_time_zone INTEGER NOT NULL DEFAULT 1,"
    "  skip_weekends INTEGER NOT NULL DEFAULT 1,"
    "  end_on_reply INTEGER NOT NULL DEFAULT 1,"
    "  reply_is_success INTEGER NOT NULL DEFAULT 0,"
    "  remove_on_bounce INTEGER NOT NULL DEFAULT 1,"
    "  ignore_out_of_office INTEGER NOT NULL DEFAULT 1,"
    "  archived INTEGER NOT NULL DEFAULT 0,"
    "  paused_at INTEGER,"
    "  stopped_by INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX campaigns_owner ON campaigns(owner_id, id);"
    "CREATE INDEX campaigns_shared ON campaigns(sharing, id) WHERE sharing <> 'private';"
    /* Steps in order (position 0, 1, …); day N is day N of a person's sequence. */
    "CREATE TABLE campaign_steps (id INTEGER PRIMARY KEY,"
    "  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  day INTEGER NOT NULL CHECK (day >= 1),"
    "  type TEXT NOT NULL CHECK (type IN ('auto_email', 'manual_email', 'call', 'linkedin', "
    "'custom')),"
    "  template_id INTEGER REFERENCES templates(id),"
    "  send_option TEXT CHECK (send_option IN ('fixed', 'same_as_previous', 'at_launch', 'task')),"
    "  send_time TEXT,"
    "  follow_up INTEGER NOT NULL DEFAULT 0,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  details TEXT NOT NULL DEFAULT '',"
    "  priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'high')),"
    "  linkedin_kind TEXT CHECK (linkedin_kind IN ('inmail', 'connect')),"
    "  UNIQUE (campaign_id, position));"
    /* A person in a campaign. step_position: the next step to run; next_due_at:
     * when (NULL while nothing is due: waiting for a task, paused, ended). A
     * person is in a campaign at most once at a time (campaign_members_once). */
    "CREATE TABLE campaign_members (id INTEGER PRIMARY KEY,"
    "  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,"
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  added_by INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN ('scheduled', 'active', 'paused', 'finished',"
    "    'replied', 'bounced', 'removed', 'unsubscribed', 'stopped')),"
    "  step_position INTEGER NOT NULL DEFAULT 0,"
    "  next_due_at INTEGER,"
    "  waiting_task_id INTEGER,"
    "  launch_time TEXT,"
    "  start_at INTEGER,"
    "  paused_at INTEGER,"
    "  paused_until INTEGER,"
    "  pause_reason TEXT,"
    "  last_email_id INTEGER,"
    "  last_email_at INTEGER,"
    "  last_step_at INTEGER,"
    "  success INTEGER NOT NULL DEFAULT 0,"
    "  ended_at INTEGER,"
    "  end_reason TEXT,"
    "  lease_owner TEXT,"
    "  lease_until INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX campaign_members_due ON campaign_members(next_due_at) WHERE next_due_at IS NOT "
    "NULL;"
    "CREATE UNIQUE INDEX campaign_members_once ON campaign_members(campaign_id, person_id)"
    "  WHERE status IN ('scheduled', 'active', 'paused');"
    "CREATE INDEX campaign_members_campaign ON campaign_members(campaign_id, status, id);"
    /* a campaign's people in the order added, any status (B: GET …/members) */
    "CREATE INDEX campaign_members_list ON campaign_members(campaign_id, id);"
    "CREATE INDEX campaign_members_person ON campaign_members(person_id, id);"
    "CREATE INDEX campaign_members_leased ON campaign_members(lease_owner) WHERE lease_owner IS "
    "NOT NULL;"
    /* Days on which no campaign sends and tasks are not due (admin calendar). */
    "CREATE TABLE holidays ("
    "  day TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE tasks (id INTEGER PRIMARY KEY,"
    "  type TEXT NOT NULL CHECK (type IN ('email', 'call', 'linkedin', 'custom')),"
    "  name TEXT NOT NULL,"
    "  person_id INTEGER REFERENCES people(id),"
    "  assignee_id INTEGER NOT NULL REFERENCES users(id),"
    "  created_by INTEGER,"
    "  campaign_id INTEGER,"
    "  member_id INTEGER,"
    "  step_position INTEGER,"
    "  template_id INTEGER,"
    "  due_at INTEGER NOT NULL,"
    "  priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'high')),"
    "  details TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete', 'skipped')),"
    "  completed_at INTEGER,"
    "  completed_by INTEGER,"
    "  email_id INTEGER,"
    "  call_id INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX tasks_queue ON tasks(assignee_id, due_at) WHERE status = 'open';"
    "CREATE INDEX tasks_person ON tasks(person_id, id) WHERE person_id IS NOT NULL;"
    "CREATE INDEX tasks_campaign ON tasks(campaign_id, status) WHERE campaign_id IS NOT NULL;"
    "CREATE INDEX tasks_member ON tasks(member_id) WHERE member_id IS NOT NULL;"
    /* The queues of every assignee (admins, managers) and the done list. */
    "CREATE INDEX tasks_open_due ON tasks(due_at) WHERE status = 'open';"
    "CREATE INDEX tasks_done ON tasks(assignee_id, completed_at) WHERE status <> 'open';"
    /* Calls: admin-defined outcomes and reasons, the caller-id pool, voicemail drops. */
    "CREATE TABLE call_outcomes (id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  answered INTEGER NOT NULL,"
    "  position INTEGER NOT NULL DEFAULT 0,"
    "  archived INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE call_reasons (id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  position INTEGER NOT NULL DEFAULT 0,"
    "  archived INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE caller_ids (id INTEGER PRIMARY KEY,"
    "  number TEXT NOT NULL UNIQUE,"
    "  label TEXT NOT NULL DEFAULT '',"
    "  is_default INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE voicemail_drops (id INTEGER PRIMARY KEY,"
    "  owner_id INTEGER NOT NULL REFERENCES users(id),"
    "  name TEXT NOT NULL,"
    "  content_type TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX voicemail_drops_owner ON voicemail_drops(owner_id, id);"
    "CREATE TABLE calls (id INTEGER PRIMARY KEY,"
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  task_id INTEGER,"
    "  campaign_id INTEGER,"
    "  number_dialed TEXT,"
    "  caller_id TEXT,"
    "  outcome_id INTEGER,"
    "  outcome TEXT,"
    "  reason_id INTEGER,"
    "  reason TEXT,"
    "  notes TEXT NOT NULL DEFAULT '',"
    "  started_at INTEGER,"
    "  duration_s INTEGER,"
    "  recording_url TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('ringing', 'in_progress', 'completed', 'no_answer',"
    "    'cancelled', 'failed')),"
    "  answered_by TEXT,"
    "  voicemail_drop_id INTEGER,"
    "  provider_call_id TEXT,"
    "  logged INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX calls_person ON calls(person_id, id);"
    "CREATE INDEX calls_user ON calls(user_id, id);"
    "CREATE UNIQUE INDEX calls_provider ON calls(provider_call_id) WHERE provider_call_id IS NOT "
    "NULL;"
    /* The dialer webhook's events already applied (idempotence by event id). */
    "CREATE TABLE dialer_events ("
    "  event_id TEXT PRIMARY KEY,"
    "  call_id INTEGER,"
    "  kind TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL);"
    /* Seeded outcomes and reasons (helper E; admins change them: /api/v1/call-outcomes,
     * /api/v1/call-reasons). */
    "INSERT INTO call_outcomes (name, answered, position, created_at) VALUES"
    "  ('Connected: interested', 1, 1, 0), ('Connected: not interested', 1, 2, 0),"
    "  ('Connected: call back later', 1, 3, 0), ('Meeting booked', 1, 4, 0),"
    "  ('Wrong person', 1, 5, 0), ('Reached a gatekeeper', 1, 6, 0),"
    "  ('No answer', 0, 7, 0), ('Left voicemail', 0, 8, 0), ('Busy', 0, 9, 0),"
    "  ('Wrong number', 0, 10, 0), ('Number disconnected', 0, 11, 0);"
    "INSERT INTO call_reasons (name, position, created_at) VALUES"
    "  ('Prospecting', 1, 0), ('Follow-up', 2, 0), ('Meeting scheduling', 3, 0),"
    "  ('Demo', 4, 0), ('Renewal', 5, 0), ('Referral', 6, 0);",
    /* 7: insight — the live feed, panels, Best Bets, reports (issue 10). One
     * section per part; PostgreSQL's text in schema_pg.c has the same ones. */
    /* the feed and reports read a user's activities (managers: their teams') */
    "CREATE INDEX activities_user ON activities(user_id, id) WHERE user_id IS NOT NULL;"
    /* -- 7 F: the live feed -- */
    /* -- end 7 F -- */
    /* -- 7 I: insight panels -- */
    /* A panel counts every activity of its people by type, week and machine
     * flag (store/insight.c): this index holds all it reads, so an account of
     * 500 people is a range read per person rather than a table row per
     * activity. Weeks are the viewer's, so no rollup by week can serve it. */
    "CREATE INDEX activities_insight ON activities(person_id, occurred_at, type, machine);"
    /* -- end 7 I -- */
    /* -- 7 P: Marketo's activities, the embeddable panel -- */
    /* /panel/sfdc/{id} finds a person by Salesforce lead or contact id */
    "CREATE INDEX panel_sfdc_lead ON people(sfdc_lead_id) WHERE sfdc_lead_id IS NOT NULL;"
    "CREATE INDEX panel_sfdc_contact ON people(sfdc_contact_id)"
    "  WHERE sfdc_contact_id IS NOT NULL;"
    /* -- end 7 P -- */
    /* -- 7 B: Best Bets -- */
    /* Best Bets (store/bestbets.c, core/bestbets.h): one row per person with
     * a human open, click or reply, kept by activity_record in the event's
     * transaction (`hail bestbets rebuild` recomputes it from the log).
     * owner is lower(people.owner_email) ('' for none), kept by the trigger;
     * rank_key orders people by time-decayed engagement at any moment, so
     * best_bets_owner serves an owner's list as one range read. */
    "CREATE TABLE best_bets ("
    "  person_id INTEGER PRIMARY KEY,"
    "  owner TEXT NOT NULL,"
    "  rank_key REAL NOT NULL,"
    "  u_sum REAL NOT NULL,"
    "  u_at INTEGER NOT NULL,"
    "  last_at INTEGER NOT NULL,"
    "  opens INTEGER NOT NULL, open_at INTEGER,"
    "  clicks INTEGER NOT NULL, click_at INTEGER,"
    "  replies INTEGER NOT NULL, reply_at INTEGER);"
    "CREATE INDEX best_bets_owner ON best_bets(owner, rank_key, person_id);"
    "CREATE TRIGGER best_bets_owner_change AFTER UPDATE OF owner_email ON people"
    "  WHEN lower(coalesce(old.owner_email, '')) IS NOT lower(coalesce(new.owner_email, ''))"
    "  BEGIN"
    "  UPDATE best_bets SET owner = lower(coalesce(new.owner_email, '')) WHERE person_id = new.id;"
    "END;"
    /* -- end 7 B -- */
    /* -- 7 R: reports -- */
    /* a report reads the covered users' activities in a time range (admins:
     * everyone's, by time alone) */
    "CREATE INDEX activities_user_time ON activities(user_id, occurred_at)"
    "  WHERE user_id IS NOT NULL;"
    "CREATE INDEX activities_time ON activities(occurred_at);"
    /* -- end 7 R -- */
    ,
    /* -- 8 F: the feed's page by owner (docs/insight.md "The page") -- */
    /* 8: owner is lower(people.owner_email) of the activity's person (NULL:
     * none), kept by the two triggers: set on insert, rewritten for every
     * activity of a person whose owner changes (activities_person finds
     * them). activities_owner serves "the activities on a covered owner's
     * people, newest first" as one range read per owner. On a big log the
     * backfill below rewrites every activity once. */
    "ALTER TABLE activities ADD COLUMN owner TEXT;"
    "UPDATE activities SET owner ="
    "  (SELECT lower(p.owner_email) FROM people p WHERE p.id = activities.person_id);"
    "CREATE INDEX activities_owner ON activities(owner, id) WHERE owner IS NOT NULL;"
    "CREATE TRIGGER activities_owner_insert AFTER INSERT ON activities"
    "  WHEN new.owner IS NULL"
    "  BEGIN"
    "  UPDATE activities SET owner ="
    "    (SELECT lower(p.owner_email) FROM people p WHERE p.id = new.person_id)"
    "    WHERE id = new.id;"
    "END;"
    "CREATE TRIGGER activities_owner_change AFTER UPDATE OF owner_email ON people"
    "  WHEN lower(old.owner_email) IS NOT lower(new.owner_email)"
    "  BEGIN"
    "  UPDATE activities SET owner = lower(new.owner_email) WHERE person_id = new.id;"
    "END;"
    /* -- end 8 F -- */
    ,
    /* -- 9 O: the outbox (docs/outbox.md) -- */
    /* 9: each consumer of the activity log (the Marketo and Salesforce
     * outboxes, the trigger evaluator) keeps its place in log_cursors, a
     * position in commit order (store/feed.h: xact 0 on SQLite), with its
     * health for Admin -> Integrations. A batch sent but not yet recorded is
     * a row of outbox_batches (its activity ids, the position it ends at):
     * after a crash it is reconciled, not resent blindly. Records that the
     * destination refused or that cannot be sent are outbox_skips, shown
     * and re-queued only by "retry now" (outbox_retry). */
    "CREATE TABLE log_cursors ("
    "  consumer TEXT PRIMARY KEY,"
    "  pos_xact INTEGER NOT NULL DEFAULT 0,"
    "  pos_id INTEGER NOT NULL DEFAULT 0,"
    "  sent INTEGER NOT NULL DEFAULT 0,"
    "  skipped INTEGER NOT NULL DEFAULT 0,"
    "  calls INTEGER NOT NULL DEFAULT 0,"
    "  last_ok_at INTEGER,"
    "  last_error TEXT,"
    "  last_error_at INTEGER,"
    "  waiting_until INTEGER,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE TABLE outbox_batches ("
    "  id INTEGER PRIMARY KEY,"
    "  consumer TEXT NOT NULL,"
    "  end_xact INTEGER NOT NULL,"
    "  end_id INTEGER NOT NULL,"
    "  activity_ids TEXT NOT NULL,"
    "  started_at INTEGER NOT NULL);"
    "CREATE INDEX outbox_batches_consumer ON outbox_batches(consumer, id);"
    "CREATE TABLE outbox_skips ("
    "  consumer TEXT NOT NULL,"
    "  activity_id INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (consumer, activity_id));"
    "CREATE INDEX outbox_skips_at ON outbox_skips(consumer, at);"
    "CREATE TABLE outbox_retry ("
    "  consumer TEXT NOT NULL,"
    "  activity_id INTEGER NOT NULL,"
    "  PRIMARY KEY (consumer, activity_id));"
    /* -- end 9 O -- */
    /* -- 9 T: triggers (docs/outbox.md "Filters and triggers") -- */
    /* 9: a trigger is a saved filter plus an action. config holds the
     * action's settings as JSON (webhook: url; add_to_campaign: campaign_id;
     * create_task: the task template); a webhook's secret is sealed like a
     * channel password (mail/seal.h), never in config. A firing is one row
     * of trigger_fires, unique per (trigger, activity), written in the
     * transaction that moves the "triggers" cursor, for activities after
     * start_id (the log's last id when the trigger was made); effect_id is the
     * activity the action itself recorded (an Add to Sales Campaign), which
     * no trigger evaluates (triggers never chain). Webhook deliveries are an
     * outbox of their own, claimed by row leases, due ones by next_at. */
    "CREATE TABLE triggers ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  filter_id INTEGER NOT NULL,"
    "  action TEXT NOT NULL CHECK (action IN ('webhook', 'add_to_campaign', 'create_task')),"
    "  config TEXT NOT NULL DEFAULT '{}',"
    "  secret BLOB,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  start_id INTEGER NOT NULL DEFAULT 0,"
    "  created_by INTEGER REFERENCES users(id),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX triggers_filter ON triggers(filter_id);"
    "CREATE TABLE trigger_fires ("
    "  trigger_id INTEGER NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,"
    "  activity_id INTEGER NOT NULL,"
    "  fired_at INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  effect_id INTEGER,"
    "  PRIMARY KEY (trigger_id, activity_id));"
    "CREATE INDEX trigger_fires_effect ON trigger_fires(effect_id) WHERE effect_id IS NOT NULL;"
    "CREATE TABLE webhook_deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  trigger_id INTEGER NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,"
    "  activity_id INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (status IN ('pending', 'delivered', 'failed')),"
    "  last_status INTEGER,"
    "  last_error TEXT,"
    "  delivered_at INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  lease_owner TEXT,"
    "  lease_until INTEGER);"
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at) WHERE status = 'pending';"
    "CREATE INDEX webhook_deliveries_trigger ON webhook_deliveries(trigger_id, id);"
    /* -- end 9 T -- */
    /* -- 9 F: filters (docs/outbox.md "Filters and triggers") -- */
    /* 9: a saved filter over people by activity (store/filters.h): its
     * definition is JSON text, checked by filter_check. shared: every user
     * may read and use it (its people are still only the ones the user
     * sees); otherwise its owner and those who cover the owner.
     * activities_template serves "did type T with template X since t" as one
     * range read, the driver of a filter's page when a condition names a
     * template. */
    "CREATE TABLE filters ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  shared INTEGER NOT NULL DEFAULT 0,"
    "  definition TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX filters_owner ON filters(owner_id, id);"
    "CREATE INDEX activities_template ON activities(type, template_id, occurred_at)"
    "  WHERE template_id IS NOT NULL;"
    /* -- end 9 F -- */
    ,
    /* -- 10 S: reminder tasks both ways with Salesforce (docs/outbox.md) -- */
    /* 10: a task made by hand (no campaign) is linked to a Salesforce Task by
     * sfdc_task_id. sfdc_synced_at is the updated_at both sides last agreed
     * on: a task whose updated_at differs is hail's change still to push
     * (tasks_sfdc_dirty); a change brought in from Salesforce sets both, so it
     * is never sent back. A linked task deleted in hail leaves its Task's id
     * in sfdc_task_deletes until Salesforce deletes it too; tasks_sfdc_open
     * walks the linked open tasks to find Tasks deleted in Salesforce. Tasks closed
     * before this migration are taken as agreed (only open ones go out). */
    "ALTER TABLE tasks ADD COLUMN sfdc_task_id TEXT;"
    "ALTER TABLE tasks ADD COLUMN sfdc_synced_at INTEGER;"
    "UPDATE tasks SET sfdc_synced_at = updated_at WHERE status <> 'open';"
    "CREATE UNIQUE INDEX tasks_sfdc ON tasks(sfdc_task_id) WHERE sfdc_task_id IS NOT NULL;"
    "CREATE INDEX tasks_sfdc_dirty ON tasks(id)"
    "  WHERE campaign_id IS NULL AND (sfdc_synced_at IS NULL OR sfdc_synced_at <> updated_at);"
    "CREATE INDEX tasks_sfdc_open ON tasks(id) WHERE sfdc_task_id IS NOT NULL AND status = 'open';"
    "CREATE TABLE sfdc_task_deletes ("
    "  sfdc_task_id TEXT PRIMARY KEY,"
    "  task_id INTEGER NOT NULL,"
    "  deleted_at INTEGER NOT NULL);"
    /* 10: the feed's per-owner and per-user reads (store/feed.c candidates)
     * lead with machine, so a human-only page reads only human rows: before,
     * a rep whose people had only machine opens read every one of them to
     * find none (p99 543 ms at 20M activities). machine is 0 or 1
     * (svc/activity.c). Rebuilds both indexes: at 20M activities, minutes. */
    "DROP INDEX activities_owner;"
    "CREATE INDEX activities_owner ON activities(owner, machine, id) WHERE owner IS NOT NULL;"
    "DROP INDEX activities_user;"
    "CREATE INDEX activities_user ON activities(user_id, machine, id) WHERE user_id IS NOT NULL;"
    /* -- end 10 S -- */
    ,
};

int schema_latest(void)
{
    return (int)(sizeof migrations / sizeof migrations[0]) - 1;
}

const char *schema_migration(int version)
{
    if (version < 1 || version > schema_latest())
        return NULL;
    return migrations[version];
}

/* The account/opportunity/owner indexes serve the grouped pages and filters.
 * The owner filter compares case-insensitively (`= $n COLLATE NOCASE`), so its
 * index is NOCASE too (PostgreSQL: on lower(owner_email), schema_pg.c), and
 * partial on the active set that lists read: a binary index cannot serve that
 * comparison and the query scanned the table. Databases from before have a
 * binary `people_owner`: it is dropped here and `people_owner_ci` built in its
 * place on the next open. */
static const char people_indexes[] =
    "CREATE INDEX IF NOT EXISTS people_account ON people(sfdc_account_id)"
    "  WHERE sfdc_account_id IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS people_opportunity ON people(sfdc_opportunity_id)"
    "  WHERE sfdc_opportunity_id IS NOT NULL;"
    "DROP INDEX IF EXISTS people_owner;"
    "CREATE INDEX IF NOT EXISTS people_owner_ci ON people(owner_email COLLATE NOCASE)"
    "  WHERE active = 1;"
    /* Inbound mail finds the person by address (mail/inbound.c). */
    "CREATE INDEX IF NOT EXISTS people_email ON people(email COLLATE NOCASE)"
    "  WHERE email IS NOT NULL;";

static const char sql_complete[] =
    "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'index'"
    " AND name IN ('people_account', 'people_opportunity', 'people_owner_ci', 'people_email')) = 4"
    " AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'people_owner')"
    " AND NOT EXISTS (SELECT 1 FROM kv WHERE key IN ($1, $2, $3))";
static const char sql_complete_pg[] =
    "SELECT (SELECT count(*) FROM pg_catalog.pg_indexes WHERE schemaname = current_schema()"
    " AND indexname IN ('people_account', 'people_opportunity', 'people_owner_ci', "
    "'people_email')) = 4"
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_indexes WHERE schemaname = current_schema()"
    " AND indexname = 'people_owner')"
    " AND NOT EXISTS (SELECT 1 FROM kv WHERE key IN ($1, $2, $3))";

/* 1 when every people index exists and no bulk load left work behind. */
static int complete(struct db *d)
{
    db_st *st = db_stmt(d, DB_SQL(d, sql_complete, sql_complete_pg));
    if (!st)
        return 0;
    db_bind_text_ref(st, 1, PEOPLE_BULK_KEY, -1);
    db_bind_text_ref(st, 2, ACCOUNTS_DIRTY_KEY, -1);
    db_bind_text_ref(st, 3, PEOPLE_BULK_TX_KEY, -1);
    int ok = db_step(st) == DB_ROW && db_col_int(st, 0);
    db_reset(st);
    return ok;
}

static hail_err ensure(struct db *d, int rebuild_search)
{
    /* Checked without a lock first: opening the database while a sync or an
     * import is writing must not wait for its write lock. */
    if (!rebuild_search && complete(d))
        return HAIL_OK;
    hail_err e = db_begin(d);
    if (e)
        return e;
    /* PostgreSQL: nodes starting at once would race to create the same
     * index (a unique violation in the catalog): one at a time. */
    char *bulk = NULL;
    if ((e = db_lock(d, "hail.schema.indexes")) ||
        (e = db_exec(d, DB_SQL(d, people_indexes, schema_pg_people_indexes))) ||
        (e = db_kv_get(d, PEOPLE_BULK_KEY, &bulk)))
        goto fail;
    if ((bulk || rebuild_search) &&
        ((e = people_rebuild_search(d)) || (e = db_kv_del(d, PEOPLE_BULK_KEY))))
        goto fail;
    /* A bulk transaction's mark committed (it cannot be: deleted before
     * each commit) would silence the triggers for everyone: gone, and the
     * counts rebuilt. Then what an interrupted bulk load left to count. */
    char *mark = NULL;
    if ((e = db_kv_get(d, PEOPLE_BULK_TX_KEY, &mark)))
        goto fail;
    if (mark) {
        free(mark);
        if ((e = db_kv_del(d, PEOPLE_BULK_TX_KEY)) || (e = db_kv_set(d, ACCOUNTS_DIRTY_KEY, "")))
            goto fail;
    }
    if ((e = accounts_rebuild_rest(d)))
        goto fail;
    free(bulk);
    return db_commit(d);
fail:
    free(bulk);
    db_rollback(d);
    return e;
}

hail_err schema_ensure_indexes(struct db *d)
{
    return ensure(d, 0);
}

hail_err schema_finish_bulk(struct db *d)
{
    return ensure(d, 1);
}

hail_err schema_drop_people_indexes(struct db *d)
{
    return db_exec(d, DB_SQL(d,
                             "DROP INDEX IF EXISTS people_account;"
                             "DROP INDEX IF EXISTS people_opportunity;"
                             "DROP INDEX IF EXISTS people_owner;"
                             "DROP INDEX IF EXISTS people_owner_ci;"
                             "DROP INDEX IF EXISTS people_email;",
                             schema_pg_drop_people_indexes));
}
