#include "core/common.h"

/* STUB until the templates work lands (owner: helper A replaces this file). */
#include "mail/render.h"

#include <stdlib.h>
#include <string.h>

hail_err render_for_person(db *d, int64_t person_id, int64_t sender_id, const char *subject_tpl,
                           const char *html_tpl, rendered *out)
{
    (void)d, (void)person_id, (void)sender_id;
    memset(out, 0, sizeof *out);
    out->subject = strdup(subject_tpl);
    out->html = strdup(html_tpl);
    out->text = strdup(html_tpl);
    out->unfilled = json_array();
    out->prompts = json_array();
    return HAIL_OK;
}

void rendered_free(rendered *r)
{
    free(r->subject);
    free(r->html);
    free(r->text);
    json_decref(r->unfilled);
    json_decref(r->prompts);
    memset(r, 0, sizeof *r);
}

char *render_html_to_text(const char *html)
{
    return strdup(html);
}
