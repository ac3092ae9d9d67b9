/*
 * windows.h - an instance's backup window (daily) against its maintenance
 * window (weekly): would RDS take them together?
 *
 * RDS refuses a ModifyDBInstance whose PreferredBackupWindow overlaps the
 * PreferredMaintenanceWindow (InvalidParameterCombination) or is shorter
 * than 30 minutes (InvalidParameterValue).  The planner checks the windows
 * as they will be after apply, so that the plan fails, not the apply.
 *
 *   backup window       "hh24:mi-hh24:mi", UTC, every day; may wrap midnight
 *   maintenance window  "ddd:hh24:mi-ddd:hh24:mi", UTC, once a week; may wrap
 *                       midnight and the week (sat:23:30-sun:00:30)
 *
 * Windows are half-open: one that ends at 05:00 and one that starts at
 * 05:00 touch, and do not overlap.
 */
#ifndef SK_WINDOWS_H
#define SK_WINDOWS_H

#include <stdbool.h>

#define SK_WINDOWS_WEEK (7 * 1440)

/* "sun:05:00-sun:06:00" (any case): minutes since Monday 00:00 and length (1..a week); 0 or SK_ERROR */
int sk_windows_parse_maintenance(const char *s, int *start, int *len);

/* does a daily window [bstart, bstart + blen) meet a weekly one [mstart, mstart + mlen)? minutes */
bool sk_windows_overlap(int bstart, int blen, int mstart, int mlen);

/*
 * 0 when RDS would take the backup window with the maintenance window;
 * else SK_ERROR (SK_ERR_POLICY) with one message naming both windows:
 * "backup window '05:30-06:30' overlaps maintenance window
 * 'sun:06:00-sun:07:00'", or that the backup window is too short or
 * unreadable.  An unreadable maintenance window is not checked (0).
 */
int sk_windows_check(const char *backup, const char *maintenance);

#endif
