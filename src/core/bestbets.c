#include "core/common.h"

#include "core/bestbets.h"

#include <math.h>

static const char *const kind_types[BB_KINDS] = {"email_open", "email_click", "email_reply"};
static const double kind_weights[BB_KINDS] = {BB_W_OPEN, BB_W_CLICK, BB_W_REPLY};

const char *bb_kind_type(bb_kind k)
{
    return (unsigned)k < BB_KINDS ? kind_types[k] : NULL;
}

int bb_kind_of(const char *type)
{
    if (!type)
        return -1;
    for (int k = 0; k < BB_KINDS; k++)
        if (!strcmp(kind_types[k], type))
            return k;
    return -1;
}

double bb_weight(bb_kind k)
{
    return (unsigned)k < BB_KINDS ? kind_weights[k] : 0.0;
}

double bb_time_key(int64_t t, int64_t half_life)
{
    return M_LN2 * ((double)(t - BB_EPOCH_US) / (double)half_life);
}

/* ln(e^a + e^b) without overflow. */
static double log_add(double a, double b)
{
    double hi = a > b ? a : b, lo = a > b ? b : a;
    return hi + log1p(exp(lo - hi));
}

void bb_add(bb_state *s, bb_kind k, int64_t t)
{
    if ((unsigned)k >= BB_KINDS)
        return;
    double w = kind_weights[k];
    double ek = log(w) + bb_time_key(t, BB_HALF_LIFE_US);
    if (!s->has) {
        s->has = 1;
        s->key = ek;
        s->u_sum = w;
        s->u_at = t;
    } else {
        s->key = log_add(s->key, ek);
        if (t >= s->u_at) {
            s->u_sum = s->u_sum * exp2(-(double)(t - s->u_at) / (double)BB_URGENT_HALF_LIFE_US) + w;
            s->u_at = t;
        } else {
            s->u_sum += w * exp2(-(double)(s->u_at - t) / (double)BB_URGENT_HALF_LIFE_US);
        }
    }
    s->count[k]++;
    if (t > s->at[k])
        s->at[k] = t;
    if (t > s->last_at)
        s->last_at = t;
}

double bb_score(const bb_state *s, int64_t now)
{
    if (!s->has)
        return 0.0;
    return exp(s->key - bb_time_key(now, BB_HALF_LIFE_US));
}

double bb_urgency(const bb_state *s, int64_t now)
{
    if (!s->has)
        return 0.0;
    return s->u_sum * exp2(-(double)(now - s->u_at) / (double)BB_URGENT_HALF_LIFE_US);
}

int bb_stars(double key, double top_key)
{
    if (!isfinite(key) || !isfinite(top_key))
        return 0;
    double r = exp(key - top_key);
    if (r >= 0.5)
        return 3;
    if (r >= 0.15)
        return 2;
    return r > 0 ? 1 : 0;
}

int bb_flames(const bb_state *s, int64_t now)
{
    if (!s->has)
        return 0;
    int64_t ago = now - s->last_at;
    int f;
    if (ago <= BB_RECENT_US)
        f = 2;
    else if (ago <= BB_WEEK_US)
        f = 1;
    else
        return 0;
    double sc = bb_score(s, now);
    if (sc > 0 && bb_urgency(s, now) >= BB_CONCENTRATED * sc)
        f++;
    return f;
}
