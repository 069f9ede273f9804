#include "core/common.h"

/* Unit tests for sync/mkto_types' description of hail's custom activity
 * types: one per activity PRODUCT.md §8 sends to Marketo, named as the
 * activity log names it; every attribute name is well formed and unique in
 * its type (the primary attribute included); each type carries
 * hailActivityId and machine; the types hail does not send have none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "svc/activity.h"
#include "sync/mkto_types.h"

static int api_name_ok(const char *s)
{
    int letter = 0;
    for (; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
            letter = 1;
        else if (!(*s >= '0' && *s <= '9') && *s != '_')
            return 0;
    }
    return letter;
}

static void one_type_per_sent_activity(void **state)
{
    (void)state;
    const char *sent[] = {ACT_EMAIL_SEND,   ACT_EMAIL_OPEN, ACT_EMAIL_CLICK,  ACT_EMAIL_REPLY,
                          ACT_EMAIL_BOUNCE, ACT_CALL,       ACT_CAMPAIGN_ADD, ACT_CAMPAIGN_REMOVE};
    size_t n = sizeof sent / sizeof *sent;
    assert_int_equal(mkto_ctype_count(), n);
    for (size_t i = 0; i < n; i++) {
        const mkto_ctype *t = mkto_ctype_for(sent[i]);
        assert_non_null(t);
        assert_string_equal(t->name, activity_type_name(sent[i]));
    }
    assert_null(mkto_ctype_for(ACT_EMAIL_AUTOREPLY));
    assert_null(mkto_ctype_for(ACT_UNSUBSCRIBE));
    assert_null(mkto_ctype_for(ACT_RESUBSCRIBE));
    assert_null(mkto_ctype_for("nope"));
    assert_null(mkto_ctype_for(NULL));
}

static void attributes_are_well_formed_and_unique(void **state)
{
    (void)state;
    const char *types[] = {"string", "integer", "link", "boolean"};
    for (size_t i = 0; i < mkto_ctype_count(); i++) {
        const mkto_ctype *t = &mkto_ctypes[i];
        assert_true(api_name_ok(t->api_name));
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(t->api_name, mkto_ctypes[j].api_name);
            assert_string_not_equal(t->name, mkto_ctypes[j].name);
        }
        assert_true(api_name_ok(t->primary.api_name));
        int has_id = 0, has_machine = 0;
        for (const mkto_attr *a = t->attrs; a->api_name; a++) {
            assert_true(api_name_ok(a->api_name));
            assert_non_null(a->name);
            int known = 0;
            for (size_t k = 0; k < sizeof types / sizeof *types; k++)
                known |= !strcmp(a->data_type, types[k]);
            assert_true(known);
            assert_string_not_equal(a->api_name, t->primary.api_name);
            for (const mkto_attr *b = t->attrs; b < a; b++)
                assert_string_not_equal(a->api_name, b->api_name);
            has_id |= !strcmp(a->api_name, "hailActivityId") && !strcmp(a->data_type, "integer");
            has_machine |= !strcmp(a->api_name, "machine") && !strcmp(a->data_type, "boolean");
        }
        assert_true(has_id);
        assert_true(has_machine);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_type_per_sent_activity),
        cmocka_unit_test(attributes_are_well_formed_and_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
