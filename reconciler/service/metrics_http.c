/*
 * metrics_http.c - the registry served to Prometheus, and a health check
 */
#include "reconciler/service/metrics_http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "reconciler/service/metrics.h"

struct sk_metrics_server {
	struct MHD_Daemon *daemon;
	struct sk_metrics *metrics;
	int healthz_failures;
	int port;
	pthread_mutex_t mu; /* guards problem: the loop sets it, the server's thread reads it */
	char problem[512];
};

int sk_metrics_parse_addr(const char *addr, char **host, int *port)
{
	const char *colon, *hstart, *hend;
	char *end;
	long p;

	*host = NULL;
	*port = 0;
	if (!addr || !*addr)
		return sk_error_set(SK_ERR_INVALID, "metrics address is empty, want host:port");
	if (addr[0] == '[') {
		hstart = addr + 1;
		hend = strchr(hstart, ']');
		if (!hend || hend == hstart || hend[1] != ':')
			return sk_error_set(SK_ERR_INVALID, "metrics address '%s': want [ipv6]:port", addr);
		colon = hend + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return sk_error_set(SK_ERR_INVALID, "metrics address '%s': want host:port", addr);
		hstart = addr;
		hend = colon;
		if (memchr(hstart, ':', (size_t)(hend - hstart)))
			return sk_error_set(SK_ERR_INVALID, "metrics address '%s': put an IPv6 address in brackets",
					    addr);
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 0 || p > 65535 || colon[1] == '-' || colon[1] == '+' || colon[1] == ' ')
		return sk_error_set(SK_ERR_INVALID, "metrics address '%s': port must be 0..65535", addr);
	if (!(*host = strndup(hstart, (size_t)(hend - hstart))))
		return sk_error_set_oom();
	*port = (int)p;
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body, size_t len,
			     bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	static char not_found[] = "not found\n", not_allowed[] = "method not allowed\n", ok[] = "ok\n";
	static const char text[] = "text/plain; charset=utf-8";
	struct sk_metrics_server *s = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, not_allowed, strlen(not_allowed), false);
	if (!strcmp(url, "/metrics")) {
		struct sk_buf b = SK_BUF_INIT;
		size_t len;

		if (sk_metrics_render(s->metrics, &b) < 0) {
			sk_buf_free(&b);
			return MHD_NO;
		}
		len = b.len;
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", sk_buf_detach(&b), len,
			     true);
	}
	if (!strcmp(url, "/healthz")) {
		int n = sk_metrics_consecutive_failures(s->metrics);
		struct sk_buf b = SK_BUF_INIT;
		char problem[sizeof(s->problem)];
		size_t len;

		pthread_mutex_lock(&s->mu);
		memcpy(problem, s->problem, sizeof(problem));
		pthread_mutex_unlock(&s->mu);
		if (n < s->healthz_failures && !problem[0])
			return reply(c, MHD_HTTP_OK, text, ok, strlen(ok), false);
		if ((n >= s->healthz_failures && sk_buf_printf(&b, "unhealthy: %d consecutive failed cycles\n", n) < 0) ||
		    (problem[0] && sk_buf_printf(&b, "unhealthy: %s\n", problem) < 0)) {
			sk_buf_free(&b);
			return MHD_NO;
		}
		len = b.len;
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, sk_buf_detach(&b), len, true);
	}
	return reply(c, MHD_HTTP_NOT_FOUND, text, not_found, strlen(not_found), false);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	sk_debug("metrics server: %s", msg);
}

/* a listening socket for host:port, so that failures say why (MHD would only say no) */
static int listen_on(const char *addr, const char *host, int port, int *fd_out, int *family, int *bound)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char service[8];
	int fd = -1, one = 1, gai, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	hints.ai_family = *host ? AF_UNSPEC : AF_INET;
	snprintf(service, sizeof(service), "%d", port);
	gai = getaddrinfo(*host ? host : NULL, service, &hints, &res);
	if (gai)
		return sk_error_set(SK_ERR_OS, "metrics address '%s': %s", addr, gai_strerror(gai));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 32) == 0) {
			*family = ai->ai_family;
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errno = saved;
		return sk_error_set_errno(SK_ERR_OS, "metrics address '%s': cannot listen", addr);
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		close(fd);
		return sk_error_set_errno(SK_ERR_OS, "metrics address '%s': getsockname", addr);
	}
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	return 0;
}

int sk_metrics_server_start(struct sk_metrics_server **out, struct sk_metrics *m, const char *addr,
			    int healthz_failures)
{
	struct sk_metrics_server *s = NULL;
	char *host = NULL;
	int port, fd = -1, family = AF_INET, rc;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

	*out = NULL;
	if ((rc = sk_metrics_parse_addr(addr, &host, &port)) < 0)
		goto done;
	if (!(s = calloc(1, sizeof(*s)))) {
		rc = sk_error_set_oom();
		goto done;
	}
	s->metrics = m;
	pthread_mutex_init(&s->mu, NULL);
	s->healthz_failures = healthz_failures > 0 ? healthz_failures : 1;
	if ((rc = listen_on(addr, host, port, &fd, &family, &s->port)) < 0)
		goto done;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!s->daemon) {
		close(fd);
		rc = sk_error_set(SK_ERR_OS, "metrics address '%s': cannot start the HTTP server", addr);
		goto done;
	}
	*out = s;
	s = NULL;
	rc = 0;
done:
	if (s)
		pthread_mutex_destroy(&s->mu);
	free(s);
	free(host);
	return rc;
}

void sk_metrics_server_set_problem(struct sk_metrics_server *s, const char *problem)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	snprintf(s->problem, sizeof(s->problem), "%s", problem ? problem : "");
	s->problem[strcspn(s->problem, "\n")] = '\0';
	pthread_mutex_unlock(&s->mu);
}

int sk_metrics_server_port(const struct sk_metrics_server *s)
{
	return s ? s->port : 0;
}

void sk_metrics_server_stop(struct sk_metrics_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon); /* closes the listening socket */
	pthread_mutex_destroy(&s->mu);
	free(s);
}
