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
    touch "$DATA/.demo-mail-pending"
    "$HAIL" token create --email admin@example.com --name demo 2>/dev/null >"$DATA/demo-token"
    chmod 600 "$DATA/demo-token"
    touch "$DATA/.demo-loaded"
fi
TOKEN=$(cat "$DATA/demo-token")
# Tokens for the engagement demo (scripts/demo_activity.py sends as each seller), once.
if [ ! -f "$DATA/.demo-activity-loaded" ] && [ ! -f "$DATA/demo-tokens" ]; then
    {
        printf 'admin@example.com %s\n' "$TOKEN"
        for email in rep1@example.com rep2@example.com manager@example.com; do
            printf '%s %s\n' "$email" \
                "$("$HAIL" token create --email "$email" --name demo-activity 2>/dev/null | tail -n 1)"
        done
    } >"$DATA/demo-tokens.tmp"
    chmod 600 "$DATA/demo-tokens.tmp"
    mv "$DATA/demo-tokens.tmp" "$DATA/demo-tokens"
fi
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
# Mail works out of the box: once the server answers, a sender identity per
# user on the default maildir channel (sent mail lands in $DATA/mail/1/new:
# nothing leaves the machine) and two shared templates, made over the API
# (either database engine), once.
# Then engagement (emails opened, clicked, replied to, calls: Best Bets and the Live Feed
# have content), over hail's own routes so Best Bets is kept as each activity arrives.
(
    if [ -f "$DATA/.demo-mail-pending" ]; then
        python3 scripts/demo_mail.py "http://$OPEN" "$TOKEN" && rm -f "$DATA/.demo-mail-pending"
    fi
    if [ ! -f "$DATA/.demo-mail-pending" ] && [ ! -f "$DATA/.demo-activity-loaded" ]; then
        python3 scripts/demo_activity.py "http://$OPEN" "$DATA" && touch "$DATA/.demo-activity-loaded"
    fi
) &
exec "$HAIL" serve --listen "$LISTEN"
