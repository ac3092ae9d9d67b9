/*
 * windows.c - an instance's backup window against its maintenance window
 */
#include "reconciler/planner/windows.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "specs/policy.h"

static const char *const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

/* "ddd:hh:mi" at s (9 characters): minutes since Monday 00:00, or -1 */
static int week_minute(const char *s)
{
	int d, h, m;

	for (d = 0; d < 7 && strncasecmp(s, days[d], 3); d++)
		;
	if (d == 7 || s[3] != ':' || s[6] != ':')
		return -1;
	for (int i = 4; i < 9; i++)
		if (i != 6 && !isdigit((unsigned char)s[i]))
			return -1;
	h = (s[4] - '0') * 10 + (s[5] - '0');
	m = (s[7] - '0') * 10 + (s[8] - '0');
	if (h > 23 || m > 59)
		return -1;
	return d * 1440 + h * 60 + m;
}

int sk_windows_parse_maintenance(const char *s, int *start, int *len)
{
	int a, b;

	if (!s || strlen(s) != 19 || s[9] != '-' || (a = week_minute(s)) < 0 || (b = week_minute(s + 10)) < 0)
		return sk_error_set(SK_ERR_POLICY, "maintenance window '%.40s' must be ddd:hh24:mi-ddd:hh24:mi in UTC",
				    s ? s : "");
	*start = a;
	*len = ((b - a) % SK_WINDOWS_WEEK + SK_WINDOWS_WEEK) % SK_WINDOWS_WEEK;
	if (*len == 0)
		*len = SK_WINDOWS_WEEK; /* start = end: the whole week, as a daily window of 0 is the whole day */
	return 0;
}

/* is x in the circular, half-open [start, start + len) of a circle of n minutes? */
static bool within(int x, int start, int len, int n)
{
	return ((x - start) % n + n) % n < len;
}

bool sk_windows_overlap(int bstart, int blen, int mstart, int mlen)
{
	if (blen <= 0 || mlen <= 0)
		return false;
	/* the backup window falls on each of the 7 days: two half-open arcs meet when one starts in the other */
	for (int d = 0; d < 7; d++) {
		int b = d * 1440 + bstart;

		if (within(b, mstart, mlen, SK_WINDOWS_WEEK) || within(mstart, b, blen, SK_WINDOWS_WEEK))
			return true;
	}
	return false;
}

int sk_windows_check(const char *backup, const char *maintenance)
{
	int bs, be, ms, ml;

	if (!backup)
		return 0;
	/* format and the 30 minutes: the policy's rule (specs/policy.h); its message starts "window '...'" */
	if (sk_window_parse(backup, &bs, &be) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", sk_error_message());
		return sk_error_set(SK_ERR_POLICY, "backup %s (maintenance window '%s')", why,
				    maintenance ? maintenance : "unknown");
	}
	if (!maintenance || sk_windows_parse_maintenance(maintenance, &ms, &ml) < 0)
		return 0;
	if (sk_windows_overlap(bs, ((be - bs) % 1440 + 1440) % 1440, ms, ml))
		return sk_error_set(SK_ERR_POLICY, "backup window '%s' overlaps maintenance window '%s'", backup,
				    maintenance);
	return 0;
}
