#include "core/common.h"

/* libFuzzer target for the classifier of what comes back (mail/classify):
 * `make fuzz` builds and runs it. The input is a raw message; it is
 * classified, and the return-date reader runs on it as text too. Any
 * outcome is fine except a crash, a sanitizer report or a hang. */
#include "mail/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    classify_result r;
    if (classify_message((const char *)data, size, &r) == HAIL_OK) {
        /* touch everything the result holds */
        size_t n = strlen(classify_kind_name(r.kind)) + strlen(r.return_date);
        for (size_t i = 0; i < r.nrcpt; i++)
            n += strlen(r.rcpt[i].address) + strlen(r.rcpt[i].status) + strlen(r.rcpt[i].detail);
        for (size_t i = 0; i < r.nrefs; i++)
            n += (size_t)classify_hail_email_id(r.refs[i]) & 1;
        if (r.message_id && r.from && r.subject)
            n += strlen(r.message_id) + strlen(r.from) + strlen(r.subject);
        (void)n;
        classify_result_free(&r);
    }
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = 0;
        char out[11];
        classify_return_date(text, 2026, 5, 28, out);
        free(text);
    }
    return 0;
}
