#include "core/common.h"

/* STUB until the delivery work lands (owner: helper C replaces this file). */
#include "mail/channel.h"

#include <string.h>

hail_err senders_get(db *d, int64_t id, sender_info *out)
{
    (void)d;
    memset(out, 0, sizeof *out);
    return hail_errf(HAIL_ENOTFOUND, "no sender with id %lld", (long long)id);
}

void sender_info_free(sender_info *s)
{
    (void)s;
}

hail_err channel_open(db *d, int64_t id, channel **out)
{
    (void)d;
    *out = NULL;
    return hail_errf(HAIL_ENOTFOUND, "no channel with id %lld", (long long)id);
}

void channel_close(channel *c)
{
    (void)c;
}

int64_t channel_id(const channel *c)
{
    (void)c;
    return 0;
}

const char *channel_kind(const channel *c)
{
    (void)c;
    return "maildir";
}

hail_err channel_deliver(channel *c, const deliver_req *r, char *reply, size_t reply_n)
{
    (void)c, (void)r, (void)reply, (void)reply_n;
    return hail_errf(HAIL_EREMOTE, "delivery is not built yet");
}

hail_err channel_reconcile(channel *c, int64_t email_id, const char *message_id, int *state)
{
    (void)c, (void)email_id, (void)message_id;
    *state = -1;
    return HAIL_OK;
}

hail_err throttle_next(db *d, int64_t channel_id, const char *domain, int64_t now, int64_t *at)
{
    (void)d, (void)channel_id, (void)domain, (void)now;
    *at = 0;
    return HAIL_OK;
}

hail_err domain_blocked(db *d, const char *domain, int *blocked)
{
    (void)d, (void)domain;
    *blocked = 0;
    return HAIL_OK;
}
