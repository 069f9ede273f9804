/* Streaming responses (http_reply_stream, http.h): the part of http/ that
 * server.c hands them to. Internal to http/.
 *
 * A stream starts on the MHD thread that answered the request: fn is pulled
 * there while it has something to say (the headers, a resumed stream's
 * replay). The first time fn has nothing, the connection is suspended in MHD
 * and its socket goes to the server's one writer thread, which from then on
 * writes the chunked body itself: each fn call's bytes are one chunk, sent
 * with one send(2), for every stream on each wake. A thousand streams cost a
 * thousand sends per wake, not a thousand resume/suspend rounds through MHD
 * (an eventfd write, an epoll round and a thread switch each). When fn ends
 * the stream, or the client goes away, the writer resumes the connection and
 * MHD ends the body and closes it as usual. */
#ifndef HAIL_HTTP_STREAM_H
#define HAIL_HTTP_STREAM_H

#include <microhttpd.h>

#include "http/http.h"

typedef struct http_streams http_streams;

hail_err http_streams_start(http_streams **out);
/* Ends every stream the writer holds (their connections go back to MHD,
 * which closes them) and stops the writer; before MHD_stop_daemon. */
void http_streams_stop(http_streams *ss);
/* After MHD_stop_daemon. */
void http_streams_free(http_streams *ss);

/* A stream for http_reply_stream (NULL: out of memory; then free_ctx(ctx)
 * has run). */
struct http_stream *http_stream_new(http_stream_fn fn, void *ctx, void (*free_ctx)(void *),
                                    unsigned tick_ms);
/* The MHD response for a stream a handler made (NULL: out of memory, st
 * untouched). From then on st belongs to the response. */
struct MHD_Response *http_streams_response(http_streams *ss, struct MHD_Connection *c,
                                           struct http_stream *st);
/* A stream that never became a response (a reply replaced it). */
void http_stream_discard(struct http_stream *st);

void http_streams_wake(http_streams *ss);
int http_streams_count(http_streams *ss);

#endif
