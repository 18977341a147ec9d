package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/keytrail/keytrail"
)

// allowedStatements are the statement kinds a user query may be: reading
// only. (DESCRIBE, SHOW and SUMMARIZE are SELECTs to DuckDB.)
var allowedStatements = map[duckdb.StmtType]string{
	duckdb.STATEMENT_TYPE_SELECT:  "SELECT",
	duckdb.STATEMENT_TYPE_EXPLAIN: "EXPLAIN",
}

var statementNames = map[duckdb.StmtType]string{
	duckdb.STATEMENT_TYPE_INSERT: "INSERT", duckdb.STATEMENT_TYPE_UPDATE: "UPDATE", duckdb.STATEMENT_TYPE_DELETE: "DELETE",
	duckdb.STATEMENT_TYPE_CREATE: "CREATE", duckdb.STATEMENT_TYPE_ALTER: "ALTER", duckdb.STATEMENT_TYPE_COPY: "COPY",
	duckdb.STATEMENT_TYPE_DROP: "DROP", duckdb.STATEMENT_TYPE_EXPORT: "EXPORT", duckdb.STATEMENT_TYPE_PRAGMA: "PRAGMA",
	duckdb.STATEMENT_TYPE_SET: "SET", duckdb.STATEMENT_TYPE_VARIABLE_SET: "SET", duckdb.STATEMENT_TYPE_LOAD: "LOAD/INSTALL",
	duckdb.STATEMENT_TYPE_ATTACH: "ATTACH", duckdb.STATEMENT_TYPE_DETACH: "DETACH", duckdb.STATEMENT_TYPE_CALL: "CALL",
	duckdb.STATEMENT_TYPE_TRANSACTION: "a transaction", duckdb.STATEMENT_TYPE_CREATE_FUNC: "CREATE FUNCTION",
	duckdb.STATEMENT_TYPE_VACUUM: "VACUUM", duckdb.STATEMENT_TYPE_ANALYZE: "ANALYZE", duckdb.STATEMENT_TYPE_EXTENSION: "an extension statement",
	duckdb.STATEMENT_TYPE_PREPARE: "PREPARE", duckdb.STATEMENT_TYPE_EXECUTE: "EXECUTE", duckdb.STATEMENT_TYPE_MULTI: "several statements",
}

// Query runs one statement of Athena-dialect SQL, read-only: only SELECT
// (with DESCRIBE, SHOW, SUMMARIZE) and EXPLAIN are accepted. Returns
// EINVALID with an explanation for other statements, and errors that say
// what to do for unknown columns and syntax errors.
func (d *DB) Query(ctx context.Context, query string) (*sql.Rows, error) {
	q := strings.TrimSpace(query)
	q = strings.TrimSpace(strings.TrimRight(q, "; \t\r\n"))
	if q == "" {
		return nil, keytrail.Errorf(keytrail.EINVALID, "no SQL to run")
	}
	q = RewriteAthena(q)
	var kind duckdb.StmtType
	err := d.Conn.Raw(func(dc any) error {
		c, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("the DuckDB driver cannot prepare statements")
		}
		st, err := c.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return errors.New("the DuckDB driver returned an unknown statement")
		}
		kind, err = ds.StatementType()
		return err
	})
	if err != nil {
		return nil, explainSQLError(err, q)
	}
	if _, ok := allowedStatements[kind]; !ok {
		name := statementNames[kind]
		if name == "" {
			name = "this statement"
		}
		return nil, keytrail.Errorf(keytrail.EINVALID, "keytrail runs read-only SQL over the store: %s is not allowed (use SELECT, EXPLAIN, DESCRIBE or SHOW; to save results, use --format csv|json|parquet --output FILE)", name)
	}
	rows, err := d.Conn.QueryContext(ctx, q)
	if err != nil {
		return nil, explainSQLError(err, q)
	}
	return rows, nil
}

var (
	unknownColumn = regexp.MustCompile(`Referenced column "([^"]+)" not found`)
	unknownTable  = regexp.MustCompile(`Table with name ([^ ]+) does not exist`)
)

// athenaNames maps column names of other popular table definitions (and
// common guesses) to the Athena names keytrail uses.
var athenaNames = map[string]string{
	"bucket": "bucket_name", "bucketname": "bucket_name", "bucket_owner": "bucketowner", "owner": "bucketowner",
	"request_datetime": "requestdatetime", "requested_at": "requestdatetime", "datetime": "requestdatetime", "time": "requestdatetime",
	"remote_ip": "remoteip", "sourceip": "remoteip", "clientip": "remoteip", "requestor": "requester", "requestor_id": "requester",
	"request_id": "requestid", "requesturi": "request_uri", "http_status": "httpstatus", "status": "httpstatus", "response_code": "httpstatus",
	"error_code": "errorcode", "bytes_sent": "bytessent", "object_size": "objectsize", "total_time": "totaltime",
	"turn_around_time": "turnaroundtime", "turnaround_time": "turnaroundtime", "referer": "referrer",
	"user_agent": "useragent", "version_id": "versionid", "host_id": "hostid", "signature_version": "sigv",
	"cipher_suite": "ciphersuite", "auth_type": "authtype", "host_header": "endpoint", "tls_version": "tlsversion",
	"access_point_arn": "accesspointarn", "acl_required": "aclrequired", "source_region": "sourceregion",
	"event_time": "eventtime", "event_name": "eventname", "event_source": "eventsource", "aws_region": "awsregion",
	"source_ip_address": "sourceipaddress", "sourceip_address": "sourceipaddress", "request_parameters": "requestparameters",
	"response_elements": "responseelements", "event_id": "eventid", "read_only": "readonly", "event_type": "eventtype",
	"recipient_account_id": "recipientaccountid", "user_identity": "useridentity", "accesskeyid": "useridentity.accesskeyid",
	"access_key_id": "useridentity.accesskeyid", "arn": "useridentity.arn", "username": "useridentity.username",
	"principalid": "useridentity.principalid", "invokedby": "useridentity.invokedby", "event_category": "eventcategory",
}

// explainSQLError makes a DuckDB error actionable: it names the Athena
// column for a known alias, says how to fill an empty store, and keeps
// DuckDB's position marker for syntax errors.
func explainSQLError(err error, q string) error {
	msg := err.Error()
	if m := unknownColumn.FindStringSubmatch(msg); m != nil {
		if alt, ok := athenaNames[strings.ToLower(m[1])]; ok {
			return keytrail.Errorf(keytrail.EINVALID, "%s\nhint: the Athena column is %s", msg, alt)
		}
		return keytrail.Errorf(keytrail.EINVALID, "%s\nhint: `keytrail query \"DESCRIBE cloudtrail_logs\"` (or s3_access_logs) lists the columns", msg)
	}
	if m := unknownTable.FindStringSubmatch(msg); m != nil {
		return keytrail.Errorf(keytrail.EINVALID, "%s\nhint: the tables are cloudtrail_logs and s3_access_logs (Athena's names; the indexes cloudtrail_key_usage, cloudtrail_ip_usage and cloudtrail_mgmt_events come with them); other table names in a query (cloudtrail_logs_pp, mybucket_logs…) must be renamed", msg)
	}
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch de.Type {
		case duckdb.ErrorTypeParser:
			return keytrail.Errorf(keytrail.EINVALID, "%s", msg)
		case duckdb.ErrorTypeBinder, duckdb.ErrorTypeCatalog, duckdb.ErrorTypeConversion, duckdb.ErrorTypeInvalidInput, duckdb.ErrorTypeOutOfRange:
			return keytrail.Errorf(keytrail.EINVALID, "%s", msg)
		case duckdb.ErrorTypePermission:
			return keytrail.Errorf(keytrail.EINVALID, "%s\nhint: queries read only the store; other files, extensions and settings are off limits", msg)
		}
	}
	return fmt.Errorf("query failed: %w", err)
}

// CopyParquet runs a read-only query and writes its result to path as a
// zstd Parquet file (which must be the session's WritablePath when it is
// read-only). Returns the number of rows written.
func (d *DB) CopyParquet(ctx context.Context, query, path string) (int64, error) {
	rows, err := d.Query(ctx, query) // checks that the statement only reads
	if err != nil {
		return 0, err
	}
	rows.Close()
	q := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(query), "; \t\r\n"))
	res, err := d.Conn.ExecContext(ctx, "COPY ("+RewriteAthena(q)+") TO "+quote(path)+" (FORMAT parquet, COMPRESSION zstd)")
	if err != nil {
		return 0, explainSQLError(err, q)
	}
	return res.RowsAffected()
}
