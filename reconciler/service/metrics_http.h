/*
 * metrics_http.h - /metrics and /healthz over HTTP (libmicrohttpd)
 */
#ifndef SK_METRICS_HTTP_H
#define SK_METRICS_HTTP_H

struct sk_metrics;

/*
 * The HTTP endpoint (libmicrohttpd, its own thread):
 *   GET /metrics  200, Content-Type: text/plain; version=0.0.4; charset=utf-8
 *   GET /healthz  200 "ok", or 503 "unhealthy: N consecutive failed cycles"
 *                 once N >= healthz_failures, and 503 "unhealthy: PROBLEM"
 *                 while a problem is set (the state backend is unavailable)
 *   anything else 404; methods other than GET and HEAD 405 (Allow: GET, HEAD)
 * addr is "host:port": an IPv4 address or host name ("127.0.0.1:9464",
 * "localhost:9464"), "[IPv6]:port" ("[::1]:9464"), or ":port" for every
 * IPv4 address.  Port 0 picks a free port (sk_metrics_server_port()).
 */
struct sk_metrics_server;

int sk_metrics_server_start(struct sk_metrics_server **out, struct sk_metrics *m, const char *addr,
			    int healthz_failures);
/*
 * What makes the process unhealthy whatever its cycles did, one line (the
 * state backend's error: "PostgreSQL '...' is unavailable: ..."); NULL or
 * "" clears it.  Safe while the server answers.
 */
void sk_metrics_server_set_problem(struct sk_metrics_server *s, const char *problem);
/* the port actually bound */
int sk_metrics_server_port(const struct sk_metrics_server *s);
void sk_metrics_server_stop(struct sk_metrics_server *s);

/* splits "host:port" / "[v6]:port" / ":port" (host "" then); host gets a copy to free() */
int sk_metrics_parse_addr(const char *addr, char **host, int *port);

#endif
