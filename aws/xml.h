/*
 * xml.h - reading AWS answers with libxml2
 *
 * Answers are parsed into a tree (one page at a time; pages are bounded by
 * MaxRecords) with the network, DTDs and entity expansion off.  Elements are
 * matched by local name, so the namespace of each service does not matter.
 */
#ifndef SK_XML_H
#define SK_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

/* what names the answer in error messages, e.g. "DescribeDBSnapshots answer from rds.us-east-1..." */
int sk_xml_parse(xmlDocPtr *out, const char *data, size_t len, const char *what);
void sk_xml_free(xmlDocPtr doc);

/* the first child element with that local name, or NULL */
xmlNodePtr sk_xml_child(xmlNodePtr parent, const char *name);
/* the next sibling element with that local name (NULL: any element), or NULL */
xmlNodePtr sk_xml_next(xmlNodePtr node, const char *name);
/* follows "A/B/C" from node through first children; NULL if any step is missing */
xmlNodePtr sk_xml_path(xmlNodePtr node, const char *path);
/* true when the element's local name is name */
bool sk_xml_is(xmlNodePtr node, const char *name);

/*
 * An element's text: a pointer into the tree when the element holds a
 * single text node (the usual case), otherwise copied into scratch storage
 * that lives until sk_xml_scratch_reset().  NULL when the element is NULL.
 */
struct sk_xml_scratch {
	xmlChar **items;
	size_t n;
	size_t cap;
};
#define SK_XML_SCRATCH_INIT { .items = NULL, .n = 0, .cap = 0 }
const char *sk_xml_text(xmlNodePtr node, struct sk_xml_scratch *scratch);
void sk_xml_scratch_reset(struct sk_xml_scratch *s);
void sk_xml_scratch_free(struct sk_xml_scratch *s);

/* a child's text as a value; SK_ENOTFOUND when absent, SK_ERROR (SK_ERR_XML) when malformed */
const char *sk_xml_child_text(xmlNodePtr parent, const char *name, struct sk_xml_scratch *scratch);
int sk_xml_child_int(xmlNodePtr parent, const char *name, int64_t *out);
int sk_xml_child_bool(xmlNodePtr parent, const char *name, bool *out);
int sk_xml_child_time(xmlNodePtr parent, const char *name, int64_t *out);
/* copies a child's text into dst[size], cut to fit ("" when there is no such child; size 0 writes nothing) */
void sk_xml_child_copy(char *dst, size_t size, xmlNodePtr parent, const char *name);

#endif
