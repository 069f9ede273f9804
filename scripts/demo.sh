#!/bin/sh
# `make run`: start hail with the embedded SQLite database and demo data.
# Usage: scripts/demo.sh HAIL_BINARY DATA_DIR LISTEN
set -eu
HAIL=$1
DATA=$2
LISTEN=$3
PASSWORD=hail-demo-password

export HAIL_DATA="$DATA"
mkdir -p "$DATA"
if [ ! -f "$DATA/.demo-loaded" ]; then
    echo "Loading demo data into $DATA/hail.db …"
    "$HAIL" import people demo/people.csv
    for u in "admin@example.com:Ada Admin:admin" "manager@example.com:Max Manager:manager" \
             "rep1@example.com:Riley Rep:rep" "rep2@example.com:Sam Rep:rep"; do
        email=${u%%:*}; rest=${u#*:}; name=${rest%%:*}; role=${rest#*:}
        printf '%s\n' "$PASSWORD" | "$HAIL" user add --email "$email" --name "$name" \
            --role "$role" --team "West" --password-stdin >/dev/null
    done
    # A sender identity per user on the default maildir channel (mail lands in
    # $DATA/mail/1/new: nothing leaves the machine) and two shared templates.
    sqlite3 "$DATA/hail.db" <<'SQL'
INSERT INTO senders (user_id, address, display_name, signature_html, channel_id, created_at,
                     updated_at)
  SELECT id, email, name, '<p>' || name || '<br>Example Inc.</p>', 1,
         CAST(strftime('%s', 'now') AS INTEGER) * 1000000,
         CAST(strftime('%s', 'now') AS INTEGER) * 1000000 FROM users;
INSERT INTO templates (owner_id, name, category, subject, body_html, sharing, created_at,
                       updated_at)
  SELECT id, 'First touch', 'Prospecting', 'A question about {{company}}',
         '<p>Hi {{first_name | default: "there"}},</p><p>Teams like {{company}} use us to '
         || 'answer every lead within the hour. <a href="https://example.com/tour">A two-minute '
         || 'tour</a> shows how.</p><p>Worth a call next week?</p>{{{my_signature}}}',
         'everyone', CAST(strftime('%s', 'now') AS INTEGER) * 1000000,
         CAST(strftime('%s', 'now') AS INTEGER) * 1000000
  FROM users WHERE email = 'admin@example.com';
INSERT INTO templates (owner_id, name, category, subject, body_html, sharing, created_at,
                       updated_at)
  SELECT id, 'Follow-up', 'Prospecting', 'Re: {{company}}',
         '<p>Hi {{first_name | default: "there"}},</p><p>{{! one line about their news}}</p>'
         || '<p>Happy to share what we saw at similar teams.</p>{{{my_signature}}}',
         'everyone', CAST(strftime('%s', 'now') AS INTEGER) * 1000000,
         CAST(strftime('%s', 'now') AS INTEGER) * 1000000
  FROM users WHERE email = 'admin@example.com';
SQL
    "$HAIL" token create --email admin@example.com --name demo 2>/dev/null >"$DATA/demo-token"
    chmod 600 "$DATA/demo-token"
    touch "$DATA/.demo-loaded"
fi
TOKEN=$(cat "$DATA/demo-token")
# The address to open: a wildcard listen address is reached through loopback.
case $LISTEN in
    0.0.0.0:*) OPEN=127.0.0.1:${LISTEN#0.0.0.0:} ;;
    "[::]":*) OPEN=127.0.0.1:${LISTEN#\[::\]:} ;;
    *) OPEN=$LISTEN ;;
esac
cat <<MSG

hail is starting on http://$LISTEN  (data: $DATA/hail.db; Ctrl-C stops it)

  Open http://$OPEN/ in a browser.
  Sign in:   admin@example.com / $PASSWORD   (also manager@, rep1@, rep2@example.com)
  API token: $TOKEN

  curl -H "Authorization: Bearer $TOKEN" 'http://$LISTEN/api/v1/people?q=mul&limit=5'
  curl -c cookies -H 'Content-Type: application/json' \\
       -d '{"email":"admin@example.com","password":"$PASSWORD"}' http://$LISTEN/api/v1/session

MSG
exec "$HAIL" serve --listen "$LISTEN"
