/*
 * error.h - the last error of this thread, as libgit2's git_error_last()
 *
 * Functions return 0 on success and a negative code on failure; the
 * failing function records one message with sk_error_set() and callers
 * either handle it, add context with sk_error_prefix(), or propagate the
 * code.  Libraries translate libcurl/libxml2/libyaml/libgit2 errors once,
 * where they enter.  Messages are in git's manner: lowercase, no full stop,
 * the subject quoted.  They never contain a secret.
 */
#ifndef SK_ERROR_H
#define SK_ERROR_H

/* return codes */
enum {
	SK_OK = 0,
	SK_ERROR = -1,        /* generic failure; see sk_error_last() */
	SK_ENOTFOUND = -2,    /* the thing asked for does not exist */
	SK_EEXISTS = -3,      /* the thing to create already exists */
	SK_ELOCKED = -4,      /* someone else holds the lock */
	SK_ESTALE = -5,       /* a saved plan no longer matches */
	SK_EINTERRUPTED = -6, /* stopped by a signal */
};

/* error classes: what kind of thing failed */
enum sk_error_class {
	SK_ERR_NONE = 0,
	SK_ERR_NOMEM,
	SK_ERR_OS,
	SK_ERR_INVALID,     /* bad argument or input */
	SK_ERR_HTTP,        /* transport: connect, TLS, timeout, reset */
	SK_ERR_AWS,         /* AWS answered with an error */
	SK_ERR_XML,         /* a response we could not read */
	SK_ERR_CREDENTIALS,
	SK_ERR_CONFIG,
	SK_ERR_POLICY,
	SK_ERR_GIT,
	SK_ERR_STATE,
	SK_ERR_LOCK,
	SK_ERR_PLAN,
	SK_ERR_SAFETY,
	SK_ERR_INTERRUPTED,
	SK_ERR_RESPONSE, /* an answer that is not AWS's answer to the call (HTML, empty, another action's) */
	SK_ERR_SIGNATURE, /* the policy commit is not signed by an allowed key (specs/signature.h) */
};

#define SK_ERROR_MAX 2048

struct sk_error {
	int klass;
	char message[SK_ERROR_MAX];
};

/* records the message and returns SK_ERROR, so `return sk_error_set(...)` works */
int sk_error_set(int klass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* records "<strerror(errno)>" after the message, as git's die_errno() */
int sk_error_set_errno(int klass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sk_error_set_oom(void);
/* puts context in front of the current message: "<context>: <message>" */
int sk_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* never NULL; klass is SK_ERR_NONE and message "" when there is no error */
const struct sk_error *sk_error_last(void);
const char *sk_error_message(void);
void sk_error_clear(void);
const char *sk_error_class_name(int klass);

#endif
