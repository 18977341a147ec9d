package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/keytrail/keytrail/internal/parquet"
)

// DB is an embedded DuckDB session over a snapshot of the store: the views
// cloudtrail_logs and s3_access_logs read exactly the files the manifest
// named when the session opened. It holds one connection, on which the
// session settings and the Trino-compatible functions are installed; it is
// not for concurrent use.
type DB struct {
	*sql.Conn
	db        *sql.DB
	connector *duckdb.Connector
	Manifest  *Manifest
	Dir       string   // the store's directory
	readers   *os.File // the shared lock that keeps the manifest's files in place
}

// DBOptions tune a session.
type DBOptions struct {
	Threads     int    // 0: DuckDB's default (all cores)
	MemoryLimit string // e.g. "1GB"; "": DuckDB's default
	// ReadOnly closes every door but reading the store: no other files, no
	// ATTACH, no extension loading, no configuration changes afterwards.
	ReadOnly bool
	// WritablePath is the one file a read-only session may write (the
	// output of CopyParquet).
	WritablePath string
}

// OpenDB opens a DuckDB session with the store's views. Until Close, the
// files they read stay in place, whatever ingests commit meanwhile.
func (s *Store) OpenDB(ctx context.Context, opts DBOptions) (*DB, error) {
	readers, err := s.readLock()
	if err != nil {
		return nil, err
	}
	d, err := s.openDB(ctx, opts)
	if err != nil {
		readers.Close()
		return nil, err
	}
	d.readers = readers
	return d, nil
}

func (s *Store) openDB(ctx context.Context, opts DBOptions) (*DB, error) {
	m, err := s.Manifest()
	if err != nil {
		return nil, err
	}
	if err := s.ensureTemplates(); err != nil {
		return nil, err
	}
	var setup []string
	setup = append(setup, "SET TimeZone='UTC'", "SET autoinstall_known_extensions=false", "SET autoload_known_extensions=false",
		// Investigations run a dozen queries over the same files: read each
		// footer once.
		"SET parquet_metadata_cache=true")
	if opts.Threads > 0 {
		setup = append(setup, fmt.Sprintf("SET threads=%d", opts.Threads))
	}
	if opts.MemoryLimit != "" {
		setup = append(setup, "SET memory_limit="+quote(opts.MemoryLimit))
	}
	setup = append(setup, "SET temp_directory="+quote(s.path(tmpDir)))
	for _, v := range views {
		setup = append(setup, "CREATE OR REPLACE VIEW "+v.name+" AS "+s.viewSQL(v.table, m.FilesOf(v.table)))
	}
	if opts.ReadOnly {
		if opts.WritablePath != "" {
			setup = append(setup, "SET allowed_paths=["+quote(opts.WritablePath)+"]")
		}
		setup = append(setup,
			"SET allowed_directories=["+quote(s.Dir+string(filepath.Separator))+"]",
			"SET enable_external_access=false",
			"SET lock_configuration=true",
		)
	}
	// The session uses one connection, set up below; no per-connection hook.
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("cannot start DuckDB: %w", err)
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		connector.Close()
		return nil, fmt.Errorf("cannot start DuckDB: %w", err)
	}
	d := &DB{Conn: conn, db: db, connector: connector, Manifest: m, Dir: s.Dir}
	if err := installTrino(ctx, conn); err != nil {
		d.Close()
		return nil, fmt.Errorf("cannot prepare the SQL session: %w", err)
	}
	for _, q := range setup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			d.Close()
			return nil, fmt.Errorf("cannot prepare the SQL session (%s): %w", firstWords(q), err)
		}
	}
	return d, nil
}

// Close ends the session.
func (d *DB) Close() error {
	err := d.Conn.Close()
	d.db.Close()
	d.connector.Close()
	d.readers.Close() // releases the lock; nil when there was none
	return err
}

// viewSQL returns the SELECT of a table's view over the given files: the
// Parquet columns, the hive partition columns, and Athena's partition
// columns derived from the date.
func (s *Store) viewSQL(table string, files []*FileEntry) string {
	// CloudTrail's account and region are columns of its files (a file
	// holds a day); the access logs' bucket is a folder.
	hive, parts, hiveTypes := "date", "", "{'date': VARCHAR}"
	if table == TableS3Access {
		hive, parts, hiveTypes = "bucket, date", "bucket, ", "{'bucket': VARCHAR, 'date': VARCHAR}"
	}
	derived := `substr(date, 1, 4) AS year, substr(date, 6, 2) AS month, substr(date, 9, 2) AS day, replace(date, '-', '/') AS "timestamp", date`
	if len(files) == 0 {
		nulls := ""
		if table == TableS3Access {
			nulls = "NULL::VARCHAR AS bucket, "
		}
		return fmt.Sprintf(`SELECT *, %sNULL::VARCHAR AS year, NULL::VARCHAR AS month, NULL::VARCHAR AS day, NULL::VARCHAR AS "timestamp", NULL::VARCHAR AS date FROM read_parquet(%s)`,
			nulls, quote(s.path(templatePath(table))))
	}
	var b strings.Builder
	b.WriteString("[")
	for i, f := range files {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(s.path(f.Path)))
	}
	b.WriteString("]")
	return fmt.Sprintf(`SELECT * EXCLUDE (%s), %s%s FROM read_parquet(%s, hive_partitioning = true, hive_types = %s)`,
		hive, parts, derived, b.String(), hiveTypes)
}

// views are the session's views: a table's files, with the partition
// columns of its folders.
var views = []struct {
	name, table string
	schema      *arrow.Schema
}{
	{"cloudtrail_logs", TableCloudTrail, CloudTrailSchema},
	{"s3_access_logs", TableS3Access, AccessLogSchema},
	{"cloudtrail_key_usage", TableKeyUsage, KeyUsageSchema},
	{"cloudtrail_ip_usage", TableIPUsage, IPUsageSchema},
	{"cloudtrail_mgmt_events", TableMgmtEvents, MgmtEventsSchema},
}

func templatePath(table string) string { return "_schema/" + table + ".parquet" }

// ensureTemplates writes an empty Parquet file of each table's schema, so
// that views over a table without data still have its columns.
func (s *Store) ensureTemplates() error {
	for _, t := range views {
		p := s.path(templatePath(t.table))
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("cannot prepare the store: %w", err)
		}
		sc, err := parquet.NewSchema(t.schema, parquet.Options{})
		if err != nil {
			return err
		}
		// A name of its own: two processes may create one store at once.
		tmp := fmt.Sprintf("%s.%d-%d.tmp", p, os.Getpid(), time.Now().UnixNano())
		_, err = writeParquet(tmp, sc, sc.NewRowGroup())
		if err == nil {
			err = os.Rename(tmp, p)
		}
		if err != nil {
			os.Remove(tmp)
			return fmt.Errorf("cannot prepare the store: %w", err)
		}
	}
	return nil
}

// quote returns s as a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func firstWords(q string) string {
	if len(q) > 40 {
		return q[:40] + "…"
	}
	return q
}
