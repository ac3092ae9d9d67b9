/*
 * svg.h - a small SVG writer: the report's charts, inline in an HTML page
 *
 * Elements are written into a struct sk_buf as they are made, no tree:
 * sk_svg_open() starts a tag, sk_svg_attr*() add attributes (values go
 * through common/markup.h), and sk_svg_close() ends it empty or with a
 * <title> (a browser shows it on hover, a screen reader reads it).  Shapes,
 * text and axes are built on those.  Numbers are written without the
 * locale, at most two decimals, no trailing zeros, never "-0", so output is
 * byte-for-byte stable.  Every function returns 0, or -1 when the buffer
 * cannot grow (the error is set).
 */
#ifndef SK_SVG_H
#define SK_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define SK_SVG_NUM_MAX 32

/* v with at most two decimals ("12.5", "-3", "0"): into buf, which is returned */
const char *sk_svg_num(char buf[SK_SVG_NUM_MAX], double v);

/* a linear map of the domain [d0, d1] onto the range [r0, r1] */
struct sk_svg_scale {
	double d0, d1;
	double r0, r1;
};

/* where v lands; the middle of the range when the domain is a point */
double sk_svg_scale_map(const struct sk_svg_scale *s, double v);

/*
 * "<svg xmlns=... viewBox="0 0 width height"" left open for attributes; end
 * the tag with sk_svg_body() and the element with sk_svg_end(out, "svg")
 */
int sk_svg_start(struct sk_buf *out, double width, double height);

/* "<tag", open for attributes */
int sk_svg_open(struct sk_buf *out, const char *tag);
/* ` name="value"`, the value escaped; nothing when value is NULL */
int sk_svg_attr(struct sk_buf *out, const char *name, const char *value);
int sk_svg_attr_num(struct sk_buf *out, const char *name, double v);
/* ">": the open tag is done, content follows */
int sk_svg_body(struct sk_buf *out);
/* "</tag>" */
int sk_svg_end(struct sk_buf *out, const char *tag);
/* ends the open tag: "/>", or with a title "><title>...</title></tag>" */
int sk_svg_close(struct sk_buf *out, const char *tag, const char *title);

/* shapes; cls and title may be NULL */
int sk_svg_rect(struct sk_buf *out, double x, double y, double w, double h, const char *cls, const char *title);
int sk_svg_circle(struct sk_buf *out, double cx, double cy, double r, const char *cls, const char *title);
int sk_svg_line(struct sk_buf *out, double x1, double y1, double x2, double y2, const char *cls);
/* n points joined; nothing for n == 0 */
int sk_svg_polyline(struct sk_buf *out, const double *xs, const double *ys, size_t n, const char *cls,
		    const char *title);
/* anchor: "start" (NULL), "middle" or "end" */
int sk_svg_text(struct sk_buf *out, double x, double y, const char *anchor, const char *cls, const char *text);

/*
 * A "nice" step for about max_ticks ticks over span: 1, 2 or 5 times a
 * power of ten (span 0 or less: 1).
 */
double sk_svg_nice_step(double span, unsigned max_ticks);

enum sk_svg_time_unit {
	SK_SVG_DAYS,   /* midnights, step days */
	SK_SVG_WEEKS,  /* Monday midnights, step weeks */
	SK_SVG_MONTHS, /* the firsts of months, step months (1, 2, 3, 6 or 12) */
};

struct sk_svg_time_ticks {
	enum sk_svg_time_unit unit;
	unsigned step;
	size_t n;
	int64_t t[32];
};

/*
 * Ticks at calendar boundaries (UTC) within [t0, t1], at most max_ticks
 * (1..32) of them: the finest of days, weeks, months (and multiples) that
 * fits.
 */
void sk_svg_time_ticks(struct sk_svg_time_ticks *out, int64_t t0, int64_t t1, unsigned max_ticks);

/*
 * A horizontal time axis at y across the scale's range: a base line, a tick
 * and a label per tick ("2026-11" for months, "11-24" for days and weeks),
 * and a grid line up to grid_top when grid_top < y.  Classes "axis", "tick",
 * "grid".
 */
int sk_svg_axis_time(struct sk_buf *out, const struct sk_svg_scale *x, double y, double grid_top,
		     unsigned max_ticks);

/*
 * A vertical value axis at x over the scale's range (r0 the bottom): nice
 * ticks labelled prefix + value + suffix ("$" "12.5" "", "" "120" " GiB"),
 * grid lines across to x_end.
 */
int sk_svg_axis_value(struct sk_buf *out, const struct sk_svg_scale *y, double x, double x_end,
		      unsigned max_ticks, const char *prefix, const char *suffix);

#endif
