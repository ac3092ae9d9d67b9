/*
 * session.h - the AWS side of one snapkeep invocation: configuration,
 * credentials chain and client, built from the command line's options
 */
#ifndef SK_SESSION_H
#define SK_SESSION_H

#include <signal.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/credentials.h"

struct sk_session_opts {
	const char *profile;
	const char *region;
	const char *endpoint;
	long connect_timeout_ms; /* 0: the client's default (struct sk_aws_client_opts) */
	long call_timeout_ms;    /* 0: the client's default */
	volatile sig_atomic_t *cancel;
	void (*on_attempt)(void *ud, const struct sk_aws_call_info *info);
	void *on_attempt_ud;
};

#define SK_SESSION_OPTS_INIT                                                                              \
	{                                                                                                 \
		.profile = NULL, .region = NULL, .endpoint = NULL, .connect_timeout_ms = 0, .call_timeout_ms = 0, \
		.cancel = NULL, .on_attempt = NULL, .on_attempt_ud = NULL                                   \
	}

struct sk_session {
	struct sk_aws_config *config;
	struct sk_aws_client *sts; /* unsigned calls only: the credentials chain's web identity exchange */
	struct sk_credentials_provider *credentials;
	struct sk_aws_client *client;
	struct sk_aws_client_opts client_opts; /* how client was made (credentials aside): for other accounts' */
	struct sk_session_role *roles;         /* the roles assumed in other accounts (sk_session_account_client) */
	size_t n_roles, cap_roles;
};

int sk_session_open(struct sk_session *s, const struct sk_session_opts *o);
void sk_session_close(struct sk_session *s);

/*
 * A client that acts in another account: role_arn assumed from the
 * session's credentials (with external_id when not NULL; it never reaches
 * a log or a message), refreshed before it expires; its calls go out as
 * the session's (endpoint, timeouts, cancel, on_attempt).  Nothing is
 * called until the first call.  *credentials is the session's: one per
 * (role, external id), kept until sk_session_close, so a loop that asks
 * again each cycle assumes the role once and then only before its
 * credentials expire.  Free the client; the session must outlive it.  Not
 * for two threads at once.
 */
int sk_session_account_client(struct sk_aws_client **client, struct sk_credentials_provider **credentials,
			      struct sk_session *s, const char *role_arn, const char *external_id);

#endif
