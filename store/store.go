// Package store keeps CloudTrail events and S3 access-log records in a
// local, date-partitioned Parquet store and answers SQL over it with an
// embedded DuckDB. It is the only package that imports DuckDB.
//
// Layout of a store directory:
//
//	cloudtrail/date=YYYY-MM-DD/part-<batch>-<n>.parquet   every account and region of the day (columns)
//	s3access/bucket=<b>/date=YYYY-MM-DD/part-<batch>-<n>.parquet
//	quarantine/<table>/<source hash>.ndjson   rejected records, with source and reason
//	_manifest/<seq>.json, <seq>.checkpoint.json   what the store holds (see Manifest)
//	_tmp/                                      files being written
//	.lock                                      held by the one process writing
//	.readers                                   shared by the processes reading
//
// The manifest is the truth: a Parquet file is part of the store only once
// a committed manifest entry names it, and readers read only the files it
// names, so a writer killed at any moment leaves a store that reads as it
// was before the uncommitted work. The next writer removes the leftovers.
//
// A reader reads the files its manifest named for as long as its session
// lasts, while ingests go on committing: a writer removes a file that left
// the manifest (merged by compaction), a superseded manifest entry or a
// leftover only when no reader holds the store open; otherwise they stay,
// unread, for a later ingest to remove.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/keytrail/keytrail"
)

// Table names, also the store folders of their files.
const (
	TableCloudTrail = "cloudtrail"
	TableS3Access   = "s3access"
	// TableKeyUsage, TableIPUsage and TableMgmtEvents are indexes of the
	// cloudtrail table, written with its rows (see Batch): which access keys
	// each principal used per day, account and region (KeyUsageSchema),
	// which instances and VPC endpoints each address was seen with
	// (IPUsageSchema), and where the few management events investigations
	// look for are (MgmtEventNames). They let an investigation answer
	// without scanning every event.
	TableKeyUsage   = "index/key_usage"
	TableIPUsage    = "index/ip_usage"
	TableMgmtEvents = "index/mgmt_events"
)

// Tables lists every table of a store.
var Tables = []string{TableCloudTrail, TableS3Access, TableKeyUsage, TableIPUsage, TableMgmtEvents}

// TableFor returns the table that holds logs of type t.
func TableFor(t keytrail.LogType) string {
	if t == keytrail.S3Access {
		return TableS3Access
	}
	return TableCloudTrail
}

// Store is a store directory.
type Store struct {
	Dir  string
	lock *os.File
	cdb  *sql.DB // compaction's DuckDB, opened on first use
}

// DefaultDir returns the store directory used when none is given:
// $KEYTRAIL_STORE, else keytrail/ in the user's data directory
// ($XDG_DATA_HOME, ~/.local/share, ~/Library/Application Support, %LocalAppData%).
func DefaultDir() (string, error) {
	if d := os.Getenv("KEYTRAIL_STORE"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "keytrail"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a place for the store (no home directory): give --store or set KEYTRAIL_STORE")
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "keytrail"), nil
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "keytrail"), nil
		}
	}
	return filepath.Join(home, ".local", "share", "keytrail"), nil
}

// Open opens the store at dir for reading, creating nothing. Returns
// ENOTFOUND when dir holds no store.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, manifestDir)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, keytrail.Errorf(keytrail.ENOTFOUND, "no keytrail store at %s: run `keytrail ingest --store %s --cloudtrail DIR` (or --s3-access-logs DIR) first", abs, dir)
		}
		return nil, keytrail.Errorf(keytrail.EINVALID, "cannot open the store %s: %v: give --store a keytrail store folder", abs, err)
	}
	return &Store{Dir: abs}, nil
}

// At returns the store at dir without reading or creating anything: a
// dry run's view of a store that may not exist (its manifest is empty).
func At(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Store{Dir: abs}, nil
}

// Create opens the store at dir, creating it when missing.
func Create(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{manifestDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, keytrail.Errorf(keytrail.EINVALID, "cannot create the store %s: %v: give --store a folder this user can write", abs, err)
		}
	}
	s := &Store{Dir: abs}
	// Readers need the templates; a reader may not be able to write them.
	if err := s.ensureTemplates(); err != nil {
		return nil, err
	}
	return s, nil
}

const (
	manifestDir   = "_manifest"
	tmpDir        = "_tmp"
	quarantineDir = "quarantine"
	lockFile      = ".lock"
	readersFile   = ".readers"
)

// Lock takes the store's writer lock, waiting while another process holds
// it; wait is called once, with the holder's description, if it must wait.
// Returns the context's error if it ends first. Only one process writes a
// store at a time; readers never take the lock.
func (s *Store) Lock(ctx context.Context, wait func(holder string)) error {
	f, err := os.OpenFile(filepath.Join(s.Dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return keytrail.Errorf(keytrail.EINVALID, "cannot write to the store %s (%v): an ingest needs a store this user can write; give --store another folder", s.Dir, err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return fmt.Errorf("cannot lock the store: %w", err)
		}
		if !told && wait != nil {
			b, _ := os.ReadFile(f.Name())
			holder := strings.TrimSpace(string(b))
			if holder == "" {
				holder = "another keytrail process"
			}
			wait(holder)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	f.Truncate(0)
	f.WriteAt([]byte("keytrail pid "+strconv.Itoa(os.Getpid())+" since "+time.Now().UTC().Format(time.RFC3339)+"\n"), 0)
	s.lock = f
	return nil
}

// Unlock releases the writer lock (and what writing held open).
func (s *Store) Unlock() {
	if s.cdb != nil {
		s.cdb.Close()
		s.cdb = nil
	}
	if s.lock != nil {
		s.lock.Truncate(0)
		syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
}

// readLock takes a shared lock on the store that lasts until the returned
// file is closed: while any reader holds it, writers remove nothing a
// reader may read (see unread). A store that cannot be written and has no
// readers file is read without the lock (nothing can change it); the
// returned file is nil then.
func (s *Store) readLock() (*os.File, error) {
	path := filepath.Join(s.Dir, readersFile)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		if f, err = os.Open(path); err != nil {
			return nil, nil
		}
	}
	if err := flock(f, syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock the store %s for reading: %w", s.Dir, err)
	}
	return f, nil
}

// unread runs remove, which deletes files a reader may be reading, only if
// no reader holds the store open, keeping readers out while it runs. When
// it does not run, what it would remove stays for a later writer (Recover).
func (s *Store) unread(remove func()) {
	f, err := os.OpenFile(filepath.Join(s.Dir, readersFile), os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close() // closing releases the lock
	if flock(f, syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		remove()
	}
}

// flock is syscall.Flock, retried when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// path returns the absolute path of a store-relative slash path.
func (s *Store) path(rel string) string { return filepath.Join(s.Dir, filepath.FromSlash(rel)) }

// Partition identifies one partition of a table: for CloudTrail an account,
// region and day, for access logs a bucket and day. A CloudTrail file holds
// every account and region of its day (see Batch), so the folder and the
// manifest's file entries know only the day: File drops the rest.
type Partition struct {
	Table   string
	Account string `json:",omitempty"` // cloudtrail
	Region  string `json:",omitempty"` // cloudtrail
	Bucket  string `json:",omitempty"` // s3access
	Day     string // YYYY-MM-DD, UTC
}

// File returns the partition of the file that holds p's rows.
func (p Partition) File() Partition {
	p.Account, p.Region = "", ""
	return p
}

// Dir returns the store-relative folder of p's files.
func (p Partition) Dir() string {
	if p.Table == TableS3Access {
		return p.Table + "/bucket=" + pathValue(p.Bucket) + "/date=" + p.Day
	}
	return p.Table + "/date=" + p.Day
}

// pathValue makes a partition value safe as one path element.
func pathValue(v string) string {
	if v == "" {
		return "unknown"
	}
	return strings.NewReplacer("/", "%2F", "\\", "%5C", "=", "%3D", "..", "%2E%2E").Replace(v)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
