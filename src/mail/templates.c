#include "core/common.h"

#include "mail/templates.h"

#include "mail/render.h"

/* Template changes are single statements: the store's statements are their
 * own transactions, and no activity is recorded for them. */

static int is_admin(const char *role)
{
    return role && !strcmp(role, "admin");
}

static hail_err not_found(int64_t id)
{
    return hail_errf(HAIL_ENOTFOUND, "no template with id %lld", (long long)id);
}

/* The template if user may see it. */
static hail_err access_check(db *d, int64_t id, int64_t user_id, const char *role, tmpl_access *a)
{
    hail_err e = tmpl_db_access(d, id, user_id, is_admin(role), a);
    if (e == HAIL_ENOTFOUND || (!e && !a->visible))
        return not_found(id);
    return e;
}

static hail_err change_check(db *d, int64_t id, int64_t user_id, const char *role)
{
    tmpl_access a;
    hail_err e = access_check(d, id, user_id, role, &a);
    if (!e && a.owner_id != user_id && !is_admin(role))
        e = hail_errf(HAIL_EFORBIDDEN,
                      "only the template's owner or an admin may change template %lld",
                      (long long)id);
    return e;
}

hail_err templates_for_use(db *d, int64_t id, int64_t user_id, const char *role, tmpl *out)
{
    memset(out, 0, sizeof *out);
    tmpl_access a;
    hail_err e = access_check(d, id, user_id, role, &a);
    if (!e)
        e = tmpl_db_texts(d, id, &out->name, &out->subject, &out->body_html);
    if (e == HAIL_ENOTFOUND)
        e = not_found(id);
    if (e)
        return e;
    out->id = id;
    out->owner_id = a.owner_id;
    out->commercial = a.commercial;
    out->archived = a.archived;
    return HAIL_OK;
}

void tmpl_free(tmpl *t)
{
    free(t->name);
    free(t->subject);
    free(t->body_html);
    memset(t, 0, sizeof *t);
}

/* The template's JSON with its prompts. */
static hail_err template_json(db *d, int64_t id, int64_t user_id, json_t **out)
{
    json_t *j = NULL;
    hail_err e = tmpl_db_json(d, id, user_id, &j);
    if (e == HAIL_ENOTFOUND)
        return not_found(id);
    if (e)
        return e;
    json_t *prompts = json_array();
    if (!prompts)
        e = HAIL_ENOMEM;
    /* A stored template always parses (it was checked when written). */
    if (!e &&
        render_check(json_string_value(json_object_get(j, "subject")),
                     json_string_value(json_object_get(j, "body_html")), prompts) == HAIL_ENOMEM)
        e = HAIL_ENOMEM;
    if (!e && json_object_set_new(j, "prompts", prompts))
        e = HAIL_ENOMEM;
    else if (e)
        json_decref(prompts);
    if (e)
        json_decref(j);
    else
        *out = j;
    return e;
}

/* The texts of a write parse (what is left out is checked as stored). */
static hail_err parse_check(const tmpl_write *w)
{
    json_t *p = json_array();
    if (!p)
        return HAIL_ENOMEM;
    hail_err e = render_check(w->subject ? w->subject : "", w->body_html ? w->body_html : "", p);
    json_decref(p);
    return e;
}

hail_err templates_create(db *d, int64_t user_id, const tmpl_write *w, json_t **out)
{
    *out = NULL;
    int64_t id;
    hail_err e = parse_check(w);
    if (!e)
        e = tmpl_db_insert(d, user_id, w, &id);
    if (!e)
        e = template_json(d, id, user_id, out);
    return e;
}

hail_err templates_get(db *d, int64_t id, int64_t user_id, const char *role, json_t **out)
{
    *out = NULL;
    tmpl_access a;
    hail_err e = access_check(d, id, user_id, role, &a);
    return e ? e : template_json(d, id, user_id, out);
}

hail_err templates_update(db *d, int64_t id, int64_t user_id, const char *role, const tmpl_write *w,
                          json_t **out)
{
    *out = NULL;
    hail_err e = change_check(d, id, user_id, role);
    if (!e)
        e = parse_check(w);
    if (!e)
        e = tmpl_db_update(d, id, w);
    if (e == HAIL_ENOTFOUND)
        e = not_found(id);
    if (!e)
        e = template_json(d, id, user_id, out);
    return e;
}

hail_err templates_delete(db *d, int64_t id, int64_t user_id, const char *role)
{
    hail_err e = change_check(d, id, user_id, role);
    int64_t used = 0;
    if (!e)
        e = tmpl_db_use_count(d, id, &used);
    if (!e && used)
        return hail_errf(HAIL_EEXIST, "template %lld was used for %lld email%s: archive it instead",
                         (long long)id, (long long)used, used == 1 ? "" : "s");
    if (!e)
        e = tmpl_db_delete(d, id);
    if (e == HAIL_ENOTFOUND)
        e = not_found(id);
    return e;
}

hail_err templates_list(db *d, int64_t user_id, const char *role, const char *view, const char *q,
                        int64_t before_id, int limit, json_t **out, int64_t *next)
{
    hail_err e = tmpl_db_page(d, user_id, is_admin(role), view, q, before_id, limit, out, next);
    size_t i;
    json_t *t;
    json_array_foreach(e ? NULL : *out, i, t)
    {
        json_t *prompts = json_array();
        if (!prompts ||
            render_check(json_string_value(json_object_get(t, "subject")),
                         json_string_value(json_object_get(t, "body_html")),
                         prompts) == HAIL_ENOMEM ||
            json_object_set_new(t, "prompts", prompts)) {
            e = HAIL_ENOMEM;
            break;
        }
    }
    if (e && *out) {
        json_decref(*out);
        *out = NULL;
    }
    return e;
}

hail_err templates_favorite(db *d, int64_t id, int64_t user_id, const char *role, int on)
{
    tmpl_access a;
    hail_err e = access_check(d, id, user_id, role, &a);
    return e ? e : tmpl_db_favorite(d, user_id, id, on);
}

hail_err templates_preview(db *d, int64_t user_id, const char *role, int64_t template_id,
                           int64_t person_id, int64_t sender_id, const char *subject,
                           const char *body_html, json_t **out)
{
    *out = NULL;
    hail_err e = HAIL_OK;
    if (sender_id) {
        tmpl_sender s;
        e = tmpl_db_sender(d, sender_id, &s);
        if (!e && s.user_id != user_id && !is_admin(role))
            e = HAIL_ENOTFOUND;
        if (!e)
            tmpl_sender_free(&s);
        if (e == HAIL_ENOTFOUND)
            return hail_errf(e, "no sender with id %lld", (long long)sender_id);
        if (e)
            return e;
    }
    tmpl t = {0};
    if (template_id > 0) {
        if ((e = templates_for_use(d, template_id, user_id, role, &t)))
            return e;
        if (!subject)
            subject = t.subject;
        body_html = t.body_html;
    }
    rendered r;
    e = render_for_person_as(d, person_id, sender_id, sender_id ? 0 : user_id, subject, body_html,
                             &r);
    if (!e) {
        *out = json_pack("{ss ss ss sO sO}", "subject", r.subject, "html", r.html, "text", r.text,
                         "unfilled", r.unfilled, "prompts", r.prompts);
        if (!*out)
            e = HAIL_ENOMEM;
        rendered_free(&r);
    }
    tmpl_free(&t);
    return e;
}
