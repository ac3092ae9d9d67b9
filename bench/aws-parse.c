/*
 * aws-parse.c - how fast the client reads DescribeDBSnapshots pages
 *
 *   aws-parse [--seconds S] [--items N] [--tags T]
 *
 * Builds one realistic DescribeDBSnapshots answer page in memory (N
 * DBSnapshot items, 100 by default as MaxRecords allows, each with every
 * field RDS sends and a TagList of T tags), then parses it with
 * sk_rds_parse_snapshot_xml over and over for S seconds (no network) and
 * prints pages/s and snapshots/s.  A figure, not a test: nothing is
 * asserted beyond every page yielding its N snapshots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/rds_xml.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"

struct count {
	size_t snapshots;
	size_t tags;
	size_t bytes;
};

static int on_snapshot(void *ud, const struct sk_rds_snapshot *s)
{
	struct count *c = ud;

	c->snapshots++;
	c->tags += s->n_tags;
	/* what a caller does first: look at the identity and the times */
	c->bytes += strlen(s->id) + strlen(s->status) + (s->created > 0);
	return 0;
}

static int build_page(struct sk_buf *b, int items, int tags)
{
	int i, t;

	if (sk_buf_adds(b, "<DescribeDBSnapshotsResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
			   "  <DescribeDBSnapshotsResult>\n"
			   "    <Marker>c25hcGtlZXAtZGIxLTIwMjYwMTAxLTAzMDA=</Marker>\n"
			   "    <DBSnapshots>\n") < 0)
		return -1;
	for (i = 0; i < items; i++) {
		int db = i % 7, day = 1 + i % 28;
		if (sk_buf_printf(
			    b,
			    "      <DBSnapshot>\n"
			    "        <AllocatedStorage>100</AllocatedStorage>\n"
			    "        <AvailabilityZone>us-east-1%c</AvailabilityZone>\n"
			    "        <DBInstanceIdentifier>orders-db-%d</DBInstanceIdentifier>\n"
			    "        <DBSnapshotArn>arn:aws:rds:us-east-1:123456789012:snapshot:snapkeep-orders-db-%d-202601%02d-0300-%03d</DBSnapshotArn>\n"
			    "        <DBSnapshotIdentifier>snapkeep-orders-db-%d-202601%02d-0300-%03d</DBSnapshotIdentifier>\n"
			    "        <DbiResourceId>db-ABCDEFGHIJKLMNOPQRSTUVW%02d</DbiResourceId>\n"
			    "        <Encrypted>true</Encrypted>\n"
			    "        <Engine>postgres</Engine>\n"
			    "        <EngineVersion>16.3</EngineVersion>\n"
			    "        <IAMDatabaseAuthenticationEnabled>false</IAMDatabaseAuthenticationEnabled>\n"
			    "        <InstanceCreateTime>2024-03-11T09:12:44.123Z</InstanceCreateTime>\n"
			    "        <KmsKeyId>arn:aws:kms:us-east-1:123456789012:key/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d</KmsKeyId>\n"
			    "        <LicenseModel>postgresql-license</LicenseModel>\n"
			    "        <MasterUsername>admin</MasterUsername>\n"
			    "        <OptionGroupName>default:postgres-16</OptionGroupName>\n"
			    "        <OriginalSnapshotCreateTime>2026-01-%02dT03:00:12.512Z</OriginalSnapshotCreateTime>\n"
			    "        <PercentProgress>100</PercentProgress>\n"
			    "        <Port>5432</Port>\n"
			    "        <ProcessorFeatures/>\n"
			    "        <SnapshotCreateTime>2026-01-%02dT03:00:12.512Z</SnapshotCreateTime>\n"
			    "        <SnapshotTarget>region</SnapshotTarget>\n"
			    "        <SnapshotType>manual</SnapshotType>\n"
			    "        <Status>available</Status>\n"
			    "        <StorageThroughput>125</StorageThroughput>\n"
			    "        <StorageType>gp3</StorageType>\n"
			    "        <VpcId>vpc-0a1b2c3d4e5f60718</VpcId>\n"
			    "        <DedicatedLogVolume>false</DedicatedLogVolume>\n"
			    "        <TagList>\n",
			    'a' + i % 3, db, db, day, i, db, day, i, db, day, day) < 0)
			return -1;
		for (t = 0; t < tags; t++) {
			static const char *const keys[] = { "snapkeep:policy", "snapkeep:instance", "snapkeep:slot",
							    "snapkeep:managed-by", "Environment", "Team", "CostCenter",
							    "Owner" };
			if (sk_buf_printf(b, "          <Tag><Key>%s</Key><Value>value-%d-%d</Value></Tag>\n",
					  keys[t % 8], t, i) < 0)
				return -1;
		}
		if (sk_buf_adds(b, "        </TagList>\n      </DBSnapshot>\n") < 0)
			return -1;
	}
	return sk_buf_adds(b, "    </DBSnapshots>\n  </DescribeDBSnapshotsResult>\n"
			      "  <ResponseMetadata><RequestId>5e8a1d2c-3f4b-4a5c-8d6e-7f8091a2b3c4</RequestId></ResponseMetadata>\n"
			      "</DescribeDBSnapshotsResponse>\n");
}

int main(int argc, char **argv)
{
	double seconds = 3.0, elapsed;
	int items = 100, tags = 6, i;
	struct sk_buf page = SK_BUF_INIT;
	struct count c;
	long pages = 0;
	int64_t start, now;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--items") && i + 1 < argc)
			items = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tags") && i + 1 < argc)
			tags = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: aws-parse [--seconds S] [--items N] [--tags T]\n");
			return 64;
		}
	}
	if (items < 1 || tags < 0 || seconds <= 0) {
		fprintf(stderr, "aws-parse: bad arguments\n");
		return 64;
	}
	if (build_page(&page, items, tags) < 0) {
		fprintf(stderr, "aws-parse: %s\n", sk_error_message());
		return 1;
	}
	memset(&c, 0, sizeof(c));
	start = sk_time_mono_ms();
	do {
		size_t before = c.snapshots;
		if (sk_rds_parse_snapshot_xml(page.ptr, page.len, on_snapshot, &c) < 0) {
			fprintf(stderr, "aws-parse: %s\n", sk_error_message());
			return 1;
		}
		if (c.snapshots - before != (size_t)items) {
			fprintf(stderr, "aws-parse: a page gave %zu snapshots, not %d\n", c.snapshots - before, items);
			return 1;
		}
		pages++;
		now = sk_time_mono_ms();
	} while ((double)(now - start) < seconds * 1000.0);
	elapsed = (double)(now - start) / 1000.0;
	printf("aws-parse: DescribeDBSnapshots page of %d snapshots (%d tags each, %zu bytes)\n", items, tags, page.len);
	printf("aws-parse: %ld pages in %.2f s: %.0f pages/s, %.0f snapshots/s, %.1f MB/s of XML\n", pages, elapsed,
	       (double)pages / elapsed, (double)c.snapshots / elapsed, (double)pages * (double)page.len / elapsed / 1e6);
	sk_buf_free(&page);
	return 0;
}
