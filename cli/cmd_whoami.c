/*
 * cmd_whoami.c - snapkeep whoami: which identity and credential source are
 * in use, and the chain that led to them ("assume-role arn:... <-
 * source_profile base (shared-credentials-file)")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/sts.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "reconciler/engine/session.h"

/* as `aws configure list`: only the last four characters of the key id */
static void mask(char *out, size_t len, const char *key)
{
	size_t n = key ? strlen(key) : 0;

	snprintf(out, len, "****************%s", n > 4 ? key + n - 4 : "");
}

int cmd_whoami(struct sk_cli *cli)
{
	char key[32];
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;
	struct sk_session s;
	struct sk_caller_identity id;
	struct sk_credentials creds = SK_CREDENTIALS_INIT;
	struct sk_buf chain = SK_BUF_INIT;
	const char *region, *from;
	char exp[SK_TIME_RFC3339_MAX] = "";
	int rc = SK_EXIT_ERROR;

	so.profile = cli->profile;
	so.region = cli->n_regions ? cli->regions[0] : NULL;
	so.endpoint = cli->endpoint;
	so.connect_timeout_ms = cli->connect_timeout_ms;
	so.call_timeout_ms = cli->call_timeout_ms;
	so.cancel = &sk_cli_interrupted;
	if (sk_session_open(&s, &so) < 0)
		return sk_cli_fail();
	region = s.config->region ? s.config->region : "us-east-1";
	if (sk_credentials_provider_get(s.credentials, &creds) < 0 ||
	    sk_credentials_provider_describe(s.credentials, &chain) < 0 ||
	    sk_sts_get_caller_identity(s.client, region, &id, NULL) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	if (creds.expiration)
		sk_time_format_rfc3339(exp, creds.expiration);
	mask(key, sizeof(key), creds.access_key_id);
	from = sk_aws_config_profile_source(s.config);
	if (cli->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s?}", "account", id.account, "arn",
				      id.arn, "userId", id.user_id, "credentialSource", creds.source ? creds.source : "unknown",
				      "credentialChain", sk_buf_cstr(&chain), "accessKeyId", key, "region", region,
				      "expiration", exp[0] ? exp : NULL, "profile", s.config->profile, "profileSource", from);
		char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
	} else {
		printf("account:     %s\narn:         %s\nuser id:     %s\ncredentials: %s (access key %s%s%s)\n"
		       "chain:       %s\nprofile:     %s%s%s%s\nregion:      %s\n",
		       id.account, id.arn, id.user_id, creds.source ? creds.source : "unknown", key,
		       exp[0] ? ", expires " : "", exp, sk_buf_cstr(&chain), s.config->profile, from ? " (from " : "",
		       from ? from : "", from ? ")" : "", region);
	}
	rc = SK_EXIT_OK;
done:
	sk_credentials_clear(&creds);
	sk_buf_free(&chain);
	sk_session_close(&s);
	return rc;
}
