/*
 * xml.c - reading AWS answers with libxml2
 */
#include "aws/xml.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "common/array.h"
#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"

int sk_xml_parse(xmlDocPtr *out, const char *data, size_t len, const char *what)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	const xmlError *e;

	*out = NULL;
	if (len > INT_MAX)
		return sk_error_set(SK_ERR_XML, "%s: answer too large (%zu bytes)", what, len);
	if (len == 0)
		return sk_error_set(SK_ERR_XML, "%s: empty answer where XML was expected", what);
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return sk_error_set_oom();
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !ctxt->wellFormed) {
		e = xmlCtxtGetLastError(ctxt);
		if (e && e->message) {
			char msg[256];
			size_t n;

			sk_strlcpy(msg, e->message, sizeof(msg));
			n = strlen(msg);
			while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
				msg[--n] = '\0';
			sk_error_set(SK_ERR_XML, "%s: malformed XML at line %d: %s", what, e->line, msg);
		} else {
			sk_error_set(SK_ERR_XML, "%s: malformed XML", what);
		}
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		return -1;
	}
	xmlFreeParserCtxt(ctxt);
	if (!xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		return sk_error_set(SK_ERR_XML, "%s: XML without a root element", what);
	}
	*out = doc;
	return 0;
}

void sk_xml_free(xmlDocPtr doc)
{
	if (doc)
		xmlFreeDoc(doc);
}

bool sk_xml_is(xmlNodePtr node, const char *name)
{
	return node && node->type == XML_ELEMENT_NODE && node->name && !strcmp((const char *)node->name, name);
}

xmlNodePtr sk_xml_next(xmlNodePtr node, const char *name)
{
	for (node = node ? node->next : NULL; node; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (!name || sk_xml_is(node, name))
			return node;
	}
	return NULL;
}

xmlNodePtr sk_xml_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	if (!parent)
		return NULL;
	for (n = parent->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && (!name || sk_xml_is(n, name)))
			return n;
	return NULL;
}

xmlNodePtr sk_xml_path(xmlNodePtr node, const char *path)
{
	char step[128];
	const char *p = path, *slash;
	size_t n;

	while (node && *p) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof(step))
			return NULL;
		memcpy(step, p, n);
		step[n] = '\0';
		node = sk_xml_child(node, step);
		p += n;
		if (*p == '/')
			p++;
	}
	return node;
}

const char *sk_xml_text(xmlNodePtr node, struct sk_xml_scratch *s)
{
	xmlChar *c;

	if (!node)
		return NULL;
	if (!node->children)
		return "";
	if (!node->children->next && node->children->type == XML_TEXT_NODE && node->children->content)
		return (const char *)node->children->content;
	if (SK_ARRAY_GROW(s->items, s->cap, s->n + 1) < 0)
		return NULL;
	c = xmlNodeGetContent(node);
	if (!c)
		return NULL;
	s->items[s->n++] = c;
	return (const char *)c;
}

void sk_xml_scratch_reset(struct sk_xml_scratch *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		xmlFree(s->items[i]);
	s->n = 0;
}

static void text_free(xmlChar **t)
{
	xmlFree(*t);
}

void sk_xml_scratch_free(struct sk_xml_scratch *s)
{
	if (s)
		SK_ARRAY_CLEAR(s->items, s->n, s->cap, text_free);
}

const char *sk_xml_child_text(xmlNodePtr parent, const char *name, struct sk_xml_scratch *scratch)
{
	return sk_xml_text(sk_xml_child(parent, name), scratch);
}

/*
 * Reads the text of parent's child name with parse(name, text, out), text
 * NULL when it could not be had; SK_ENOTFOUND when there is no such child.
 */
static int child_value(xmlNodePtr parent, const char *name, int (*parse)(const char *, const char *, void *),
		       void *out)
{
	struct sk_xml_scratch tmp = SK_XML_SCRATCH_INIT;
	xmlNodePtr n = sk_xml_child(parent, name);
	int rc;

	if (!n)
		return SK_ENOTFOUND;
	rc = parse(name, sk_xml_text(n, &tmp), out);
	sk_xml_scratch_free(&tmp);
	return rc;
}

static int parse_int(const char *name, const char *t, void *out)
{
	char *end;
	long long v;

	if (!t || !*t)
		return sk_error_set(SK_ERR_XML, "element '%s' is empty where a number was expected", name);
	errno = 0;
	v = strtoll(t, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
		end++;
	if (errno || *end)
		return sk_error_set(SK_ERR_XML, "element '%s' holds '%.40s' where a number was expected", name, t);
	*(int64_t *)out = v;
	return 0;
}

static int parse_bool(const char *name, const char *t, void *out)
{
	if (t && !strcmp(t, "true"))
		*(bool *)out = true;
	else if (t && !strcmp(t, "false"))
		*(bool *)out = false;
	else
		return sk_error_set(SK_ERR_XML, "element '%s' holds '%.40s' where true or false was expected", name,
				    t ? t : "");
	return 0;
}

static int parse_time(const char *name, const char *t, void *out)
{
	if (!t || sk_time_parse_rfc3339(out, t) < 0)
		return sk_error_set(SK_ERR_XML, "element '%s' holds '%.40s' where a time was expected", name,
				    t ? t : "");
	return 0;
}

int sk_xml_child_int(xmlNodePtr parent, const char *name, int64_t *out)
{
	return child_value(parent, name, parse_int, out);
}

int sk_xml_child_bool(xmlNodePtr parent, const char *name, bool *out)
{
	return child_value(parent, name, parse_bool, out);
}

int sk_xml_child_time(xmlNodePtr parent, const char *name, int64_t *out)
{
	return child_value(parent, name, parse_time, out);
}

void sk_xml_child_copy(char *dst, size_t size, xmlNodePtr parent, const char *name)
{
	struct sk_xml_scratch tmp = SK_XML_SCRATCH_INIT;
	const char *t = sk_xml_child_text(parent, name, &tmp);

	sk_strlcpy(dst, t ? t : "", size);
	sk_xml_scratch_free(&tmp);
}
