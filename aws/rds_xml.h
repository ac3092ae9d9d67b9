/*
 * rds_xml.h - reading RDS's answers into the structs rds.h declares
 *
 * A reader turns each <DBInstance>, <DBCluster>, <DBSnapshot>,
 * <DBClusterSnapshot> or <DBInstanceAutomatedBackup> element it is handed
 * into its struct and calls the callback with it; the struct's strings
 * point into the reader's storage, good until the next element.  rds.c
 * hands it the items of each page (sk_aws_paginate) or of one answer; the
 * sk_rds_parse_*_xml() calls read a whole document (tests, fuzzing, bench).
 */
#ifndef SK_RDS_XML_H
#define SK_RDS_XML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "aws/rds.h"
#include "aws/xml.h"

/* what a reader reads: the element and the callback's type */
enum sk_rds_kind {
	SK_RDS_SNAPSHOT,         /* <DBSnapshot>, sk_rds_snapshot_cb */
	SK_RDS_INSTANCE,         /* <DBInstance>, sk_rds_instance_cb */
	SK_RDS_AUTOBACKUP,       /* <DBInstanceAutomatedBackup>, sk_rds_automated_backup_cb */
	SK_RDS_CLUSTER_SNAPSHOT, /* <DBClusterSnapshot>, sk_rds_snapshot_cb */
	SK_RDS_CLUSTER,          /* <DBCluster>, sk_rds_instance_cb */
};

/* reusable storage for one item's arrays and copied texts */
struct sk_rds_item_ctx {
	struct sk_xml_scratch scratch;
	struct sk_aws_tag *tags;
	size_t cap_tags;
	const char **strs;
	size_t cap_strs;
	char source_region[64]; /* a cluster snapshot copy's source region, from its source's ARN */
};

struct sk_rds_reader {
	enum sk_rds_kind kind;
	struct sk_rds_item_ctx x;
	void *cb; /* the kind's callback type */
	void *ud;
};

void sk_rds_reader_init(struct sk_rds_reader *r, enum sk_rds_kind kind, void *cb, void *ud);
/*
 * Reads one element of the reader's kind and calls its callback: an
 * sk_aws_item_cb (ud is the reader).  SK_ERROR (SK_ERR_XML) for an element
 * without its identifier or with a malformed value; else what cb returned.
 */
int sk_rds_reader_item(void *reader, xmlNodePtr node);
void sk_rds_reader_free(struct sk_rds_reader *r);

/* every <DBSnapshot> / <DBInstance> / <DBInstanceAutomatedBackup> element of a document */
int sk_rds_parse_snapshot_xml(const char *xml, size_t len, sk_rds_snapshot_cb cb, void *ud);
int sk_rds_parse_instances_xml(const char *xml, size_t len, sk_rds_instance_cb cb, void *ud);
/* every <DBCluster> / <DBClusterSnapshot> element */
int sk_rds_parse_clusters_xml(const char *xml, size_t len, sk_rds_instance_cb cb, void *ud);
int sk_rds_parse_cluster_snapshots_xml(const char *xml, size_t len, sk_rds_snapshot_cb cb, void *ud);
int sk_rds_parse_automated_backups_xml(const char *xml, size_t len, sk_rds_automated_backup_cb cb, void *ud);

#endif
