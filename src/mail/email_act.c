#include "core/common.h"

#include "mail/email_act.h"

#include <string.h>

#include "svc/activity.h"
#include "svc/settings.h"

hail_err email_activity(db *d, int64_t email_id, const char *type, bool machine,
                        int64_t occurred_at, json_t *extra, int64_t *id_out)
{
    db_st *st = db_stmt(d, "SELECT e.person_id, e.user_id, e.template_id, e.campaign_id, "
                           "e.subject, s.address, t.name, e.to_address, c.name "
                           "FROM emails e JOIN senders s ON s.id = e.sender_id "
                           "LEFT JOIN templates t ON t.id = e.template_id "
                           "LEFT JOIN campaigns c ON c.id = e.campaign_id WHERE e.id = $1");
    if (!st)
        return db_fail(d, "reading an email");
    db_bind_i64(st, 1, email_id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE
                   ? hail_errf(HAIL_ENOTFOUND, "no email with id %lld", (long long)email_id)
                   : db_fail(d, "reading an email");
    }
    activity a = {
        .type = type,
        .person_id = db_col_i64(st, 0),
        .user_id = db_col_i64(st, 1),
        .email_id = email_id,
        .template_id = db_col_null(st, 2) ? 0 : db_col_i64(st, 2),
        .campaign_id = db_col_null(st, 3) ? 0 : db_col_i64(st, 3),
        .occurred_at = occurred_at,
        .machine = machine,
    };
    json_t *attrs =
        json_pack("{ss ss sI ss}", "sent_by", db_col_text(st, 5), "source", "hail",
                  "sales_person_id", (json_int_t)a.user_id, "email_subject", db_col_text(st, 4));
    if (attrs && a.template_id) {
        char url[1024];
        snprintf(url, sizeof url, "%s/templates/%lld", settings()->public_url,
                 (long long)a.template_id);
        json_object_set_new(attrs, "template_id", json_integer(a.template_id));
        json_object_set_new(attrs, "template_name", json_string(db_col_text(st, 6)));
        json_object_set_new(attrs, "template_url", json_string(url));
    }
    if (attrs && a.campaign_id) {
        char url[1024];
        snprintf(url, sizeof url, "%s/campaigns/%lld", settings()->public_url,
                 (long long)a.campaign_id);
        json_object_set_new(attrs, "campaign_id", json_integer(a.campaign_id));
        if (!db_col_null(st, 8))
            json_object_set_new(attrs, "campaign_name", json_string(db_col_text(st, 8)));
        json_object_set_new(attrs, "campaign_url", json_string(url));
    }
    if (attrs && !strcmp(type, ACT_EMAIL_REPLY))
        json_object_set_new(attrs, "received_by", json_string(db_col_text(st, 5)));
    if (attrs && !strcmp(type, ACT_EMAIL_BOUNCE))
        json_object_set_new(attrs, "email", json_string(db_col_text(st, 7)));
    db_reset(st);
    if (!attrs)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (extra)
        json_object_update(attrs, extra);
    a.attrs = attrs;
    hail_err e = activity_record(d, &a, id_out);
    json_decref(attrs);
    return e;
}
