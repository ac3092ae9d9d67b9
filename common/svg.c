/*
 * svg.c - a small SVG writer: the report's charts, inline in an HTML page
 */
#include "common/svg.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/markup.h"
#include "common/timeutil.h"

#define DAY 86400

const char *sk_svg_num(char buf[SK_SVG_NUM_MAX], double v)
{
	long long h, ip;
	int frac;
	const char *sign = "";

	if (!isfinite(v))
		v = 0;
	if (v > 1e15)
		v = 1e15;
	if (v < -1e15)
		v = -1e15;
	h = llround(v * 100);
	if (h < 0) {
		sign = "-";
		h = -h;
	}
	ip = h / 100;
	frac = (int)(h % 100);
	if (!frac)
		snprintf(buf, SK_SVG_NUM_MAX, "%s%lld", h ? sign : "", ip);
	else if (frac % 10 == 0)
		snprintf(buf, SK_SVG_NUM_MAX, "%s%lld.%d", sign, ip, frac / 10);
	else
		snprintf(buf, SK_SVG_NUM_MAX, "%s%lld.%02d", sign, ip, frac);
	return buf;
}

double sk_svg_scale_map(const struct sk_svg_scale *s, double v)
{
	if (s->d1 == s->d0)
		return (s->r0 + s->r1) / 2;
	return s->r0 + (v - s->d0) * (s->r1 - s->r0) / (s->d1 - s->d0);
}

int sk_svg_open(struct sk_buf *out, const char *tag)
{
	return sk_buf_printf(out, "<%s", tag);
}

int sk_svg_attr(struct sk_buf *out, const char *name, const char *value)
{
	if (!value)
		return 0;
	if (sk_buf_printf(out, " %s=\"", name) < 0 || sk_markup_escape(out, value) < 0)
		return -1;
	return sk_buf_addc(out, '"');
}

int sk_svg_attr_num(struct sk_buf *out, const char *name, double v)
{
	char num[SK_SVG_NUM_MAX];

	return sk_buf_printf(out, " %s=\"%s\"", name, sk_svg_num(num, v));
}

int sk_svg_body(struct sk_buf *out)
{
	return sk_buf_addc(out, '>');
}

int sk_svg_end(struct sk_buf *out, const char *tag)
{
	return sk_buf_printf(out, "</%s>", tag);
}

int sk_svg_close(struct sk_buf *out, const char *tag, const char *title)
{
	if (!title)
		return sk_buf_adds(out, "/>");
	if (sk_buf_adds(out, "><title>") < 0 || sk_markup_escape(out, title) < 0)
		return -1;
	return sk_buf_printf(out, "</title></%s>", tag);
}

int sk_svg_start(struct sk_buf *out, double width, double height)
{
	char w[SK_SVG_NUM_MAX], h[SK_SVG_NUM_MAX];

	return sk_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %s %s\"",
			     sk_svg_num(w, width), sk_svg_num(h, height));
}

int sk_svg_rect(struct sk_buf *out, double x, double y, double w, double h, const char *cls, const char *title)
{
	if (sk_svg_open(out, "rect") < 0 || sk_svg_attr_num(out, "x", x) < 0 || sk_svg_attr_num(out, "y", y) < 0 ||
	    sk_svg_attr_num(out, "width", w < 0 ? 0 : w) < 0 || sk_svg_attr_num(out, "height", h < 0 ? 0 : h) < 0 ||
	    sk_svg_attr(out, "class", cls) < 0)
		return -1;
	return sk_svg_close(out, "rect", title);
}

int sk_svg_circle(struct sk_buf *out, double cx, double cy, double r, const char *cls, const char *title)
{
	if (sk_svg_open(out, "circle") < 0 || sk_svg_attr_num(out, "cx", cx) < 0 || sk_svg_attr_num(out, "cy", cy) < 0 ||
	    sk_svg_attr_num(out, "r", r) < 0 || sk_svg_attr(out, "class", cls) < 0)
		return -1;
	return sk_svg_close(out, "circle", title);
}

int sk_svg_line(struct sk_buf *out, double x1, double y1, double x2, double y2, const char *cls)
{
	if (sk_svg_open(out, "line") < 0 || sk_svg_attr_num(out, "x1", x1) < 0 || sk_svg_attr_num(out, "y1", y1) < 0 ||
	    sk_svg_attr_num(out, "x2", x2) < 0 || sk_svg_attr_num(out, "y2", y2) < 0 || sk_svg_attr(out, "class", cls) < 0)
		return -1;
	return sk_svg_close(out, "line", NULL);
}

int sk_svg_polyline(struct sk_buf *out, const double *xs, const double *ys, size_t n, const char *cls,
		    const char *title)
{
	char a[SK_SVG_NUM_MAX], b[SK_SVG_NUM_MAX];
	size_t i;

	if (!n)
		return 0;
	if (sk_svg_open(out, "polyline") < 0 || sk_buf_adds(out, " points=\"") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (sk_buf_printf(out, "%s%s,%s", i ? " " : "", sk_svg_num(a, xs[i]), sk_svg_num(b, ys[i])) < 0)
			return -1;
	if (sk_buf_addc(out, '"') < 0 || sk_svg_attr(out, "class", cls) < 0)
		return -1;
	return sk_svg_close(out, "polyline", title);
}

int sk_svg_text(struct sk_buf *out, double x, double y, const char *anchor, const char *cls, const char *text)
{
	if (sk_svg_open(out, "text") < 0 || sk_svg_attr_num(out, "x", x) < 0 || sk_svg_attr_num(out, "y", y) < 0 ||
	    sk_svg_attr(out, "text-anchor", anchor && strcmp(anchor, "start") ? anchor : NULL) < 0 ||
	    sk_svg_attr(out, "class", cls) < 0 || sk_svg_body(out) < 0 || sk_markup_escape(out, text) < 0)
		return -1;
	return sk_svg_end(out, "text");
}

double sk_svg_nice_step(double span, unsigned max_ticks)
{
	double raw, mag, f;

	if (!(span > 0) || !isfinite(span))
		return 1;
	raw = span / (max_ticks ? max_ticks : 1);
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	if (f <= 1)
		return mag;
	if (f <= 2)
		return 2 * mag;
	if (f <= 5)
		return 5 * mag;
	return 10 * mag;
}

static int64_t floor_days(int64_t t)
{
	return t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
}

/* the first tick at or after t0 for unit and step; months count from January */
static int64_t first_tick(int64_t t0, enum sk_svg_time_unit unit, unsigned step)
{
	int64_t days = floor_days(t0), y;
	unsigned m, d;

	switch (unit) {
	case SK_SVG_DAYS:
		return (days * DAY < t0 ? days + 1 : days) * DAY;
	case SK_SVG_WEEKS:
		if (days * DAY < t0)
			days++;
		/* 1970-01-01 was a Thursday: Mondays are days = 4 (mod 7) */
		while (((days % 7) + 7) % 7 != 4)
			days++;
		return days * DAY;
	case SK_SVG_MONTHS:
	default:
		sk_time_civil_from_days(days, &y, &m, &d);
		if (d != 1 || days * DAY < t0) {
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
		while ((m - 1) % step) {
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
		return sk_time_days_from_civil(y, m, 1) * DAY;
	}
}

static int64_t next_tick(int64_t t, enum sk_svg_time_unit unit, unsigned step)
{
	int64_t y;
	unsigned m, d;

	switch (unit) {
	case SK_SVG_DAYS:
		return t + (int64_t)step * DAY;
	case SK_SVG_WEEKS:
		return t + (int64_t)step * 7 * DAY;
	case SK_SVG_MONTHS:
	default:
		sk_time_civil_from_days(floor_days(t), &y, &m, &d);
		m += step;
		while (m > 12) {
			m -= 12;
			y++;
		}
		return sk_time_days_from_civil(y, m, 1) * DAY;
	}
}

/* fills out with the ticks of (unit, step); false when there would be more than max */
static bool try_ticks(struct sk_svg_time_ticks *out, int64_t t0, int64_t t1, enum sk_svg_time_unit unit,
		      unsigned step, unsigned max)
{
	int64_t t;

	out->unit = unit;
	out->step = step;
	out->n = 0;
	for (t = first_tick(t0, unit, step); t <= t1; t = next_tick(t, unit, step)) {
		if (out->n == max)
			return false;
		out->t[out->n++] = t;
	}
	return true;
}

void sk_svg_time_ticks(struct sk_svg_time_ticks *out, int64_t t0, int64_t t1, unsigned max_ticks)
{
	static const struct {
		enum sk_svg_time_unit unit;
		unsigned step;
	} ladder[] = {
		{ SK_SVG_DAYS, 1 }, { SK_SVG_DAYS, 2 }, { SK_SVG_WEEKS, 1 }, { SK_SVG_WEEKS, 2 },
		{ SK_SVG_MONTHS, 1 }, { SK_SVG_MONTHS, 2 }, { SK_SVG_MONTHS, 3 }, { SK_SVG_MONTHS, 6 },
	};
	int64_t y0, y1;
	unsigned m, d, years, step;
	size_t i;

	if (max_ticks < 1)
		max_ticks = 1;
	if (max_ticks > 32)
		max_ticks = 32;
	if (t1 < t0)
		t1 = t0;
	for (i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (try_ticks(out, t0, t1, ladder[i].unit, ladder[i].step, max_ticks))
			return;
	/* years: January firsts, step a whole number of years */
	sk_time_civil_from_days(floor_days(t0), &y0, &m, &d);
	sk_time_civil_from_days(floor_days(t1), &y1, &m, &d);
	years = (unsigned)(y1 - y0 + 1);
	step = (years + max_ticks - 1) / max_ticks;
	while (!try_ticks(out, t0, t1, SK_SVG_MONTHS, 12 * step, max_ticks))
		step++;
}

int sk_svg_axis_time(struct sk_buf *out, const struct sk_svg_scale *x, double y, double grid_top,
		     unsigned max_ticks)
{
	struct sk_svg_time_ticks ticks;
	char label[16];
	int64_t yy;
	unsigned m, d;
	double px;
	size_t i;

	sk_svg_time_ticks(&ticks, (int64_t)x->d0, (int64_t)x->d1, max_ticks);
	if (sk_svg_line(out, x->r0, y, x->r1, y, "axis") < 0)
		return -1;
	for (i = 0; i < ticks.n; i++) {
		px = sk_svg_scale_map(x, (double)ticks.t[i]);
		sk_time_civil_from_days(floor_days(ticks.t[i]), &yy, &m, &d);
		if (ticks.unit == SK_SVG_MONTHS)
			snprintf(label, sizeof(label), "%04lld-%02u", (long long)yy, m);
		else
			snprintf(label, sizeof(label), "%02u-%02u", m, d);
		if ((grid_top < y && sk_svg_line(out, px, grid_top, px, y, "grid") < 0) ||
		    sk_svg_line(out, px, y, px, y + 4, "tick") < 0 || sk_svg_text(out, px, y + 16, "middle", "tick", label) < 0)
			return -1;
	}
	return 0;
}

int sk_svg_axis_value(struct sk_buf *out, const struct sk_svg_scale *y, double x, double x_end,
		      unsigned max_ticks, const char *prefix, const char *suffix)
{
	double lo = fmin(y->d0, y->d1), hi = fmax(y->d0, y->d1), step, v, py;
	char num[SK_SVG_NUM_MAX], label[SK_SVG_NUM_MAX + 64];
	unsigned i;

	step = sk_svg_nice_step(hi - lo, max_ticks ? max_ticks : 1);
	if (sk_svg_line(out, x, y->r0, x, y->r1, "axis") < 0)
		return -1;
	/* at most max_ticks + 2 ticks, whatever rounding does */
	for (i = 0, v = ceil(lo / step) * step; v <= hi + step * 1e-9 && i < max_ticks + 2; i++, v += step) {
		py = sk_svg_scale_map(y, v);
		snprintf(label, sizeof(label), "%s%s%s", prefix ? prefix : "", sk_svg_num(num, v), suffix ? suffix : "");
		if ((x_end > x && sk_svg_line(out, x, py, x_end, py, "grid") < 0) ||
		    sk_svg_line(out, x - 4, py, x, py, "tick") < 0 || sk_svg_text(out, x - 6, py + 4, "end", "tick", label) < 0)
			return -1;
	}
	return 0;
}
