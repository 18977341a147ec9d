package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Compaction merges the files of a partition into one, so that a store fed
// every five minutes for months does not become millions of small files.
const (
	compactMaxFile  = 16 << 20  // files smaller than this are merged
	compactMaxBytes = 256 << 20 // a merged file stays below this
	compactMinFiles = 8         // a partition is compacted once it has this many small files
	compactRowGroup = 32 << 10  // DuckDB holds a row group in memory while it writes it
	compactLevel    = 3         // zstd level of merged files, as of CloudTrail's
)

// Compact merges the small files of each given partition that has
// compactMinFiles or more of them into one file, commits the
// swap in one manifest delta and removes the merged files (unless a reader
// may be reading them: then the next Recover does). A partition thus
// keeps a handful of files however often it is fed, and a bulk ingest,
// which writes each partition in one or two files, costs no rewrite.
// Requires the writer lock. Returns the number of files merged away.
func (s *Store) Compact(ctx context.Context, m *Manifest, parts []Partition) (int, error) {
	byPart := map[Partition][]*FileEntry{}
	for _, f := range m.Files {
		byPart[f.Partition] = append(byPart[f.Partition], f)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Dir() < parts[j].Dir() })
	merged := 0
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return merged, err
		}
		var small []*FileEntry
		var total int64
		files := byPart[p]
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
		for _, f := range files {
			if f.Bytes < compactMaxFile && total+f.Bytes < compactMaxBytes {
				small = append(small, f)
				total += f.Bytes
			}
		}
		if len(small) < compactMinFiles {
			continue
		}
		b := s.NewBatch(p.Table)
		entry, err := s.merge(ctx, b, p, small)
		b.Discard()
		if err != nil {
			return merged, fmt.Errorf("cannot compact %s: %w", p.Dir(), err)
		}
		d := &Delta{Add: []FileEntry{entry}}
		for _, f := range small {
			d.Remove = append(d.Remove, f.Path)
		}
		if err := s.Commit(m, d); err != nil {
			return merged, err
		}
		s.unread(func() {
			for _, f := range small {
				os.Remove(s.path(f.Path))
			}
		})
		merged += len(small)
	}
	return merged, nil
}

// merge writes the rows of files, in file order, into one new file in
// partition p and moves it into place (uncommitted). DuckDB does the work:
// it reads and writes Parquet on all cores, in bounded memory.
func (s *Store) merge(ctx context.Context, b *Batch, p Partition, files []*FileEntry) (FileEntry, error) {
	b.seq++
	name := fmt.Sprintf("part-%s-%04d.parquet", b.id, b.seq)
	tmp := filepath.Join(s.path(tmpDir), name)
	entry := FileEntry{Path: p.Dir() + "/" + name, Table: p.Table, Partition: p, Index: indexOf(p.Table)}
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = quote(s.path(f.Path))
		entry.absorb(f)
	}
	db, err := s.compactDB()
	if err != nil {
		return FileEntry{}, err
	}
	// No ORDER BY: a sort must hold the partition in memory, and the rows
	// arrive nearly in time order anyway; the copy streams.
	q := fmt.Sprintf("COPY (SELECT * FROM read_parquet([%s], hive_partitioning = false)) TO %s (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL %d, ROW_GROUP_SIZE %d)",
		strings.Join(list, ", "), quote(tmp), compactLevel, compactRowGroup)
	res, err := db.ExecContext(ctx, q)
	if err != nil {
		os.Remove(tmp)
		return FileEntry{}, err
	}
	if n, err := res.RowsAffected(); err == nil && n != entry.Rows {
		os.Remove(tmp)
		return FileEntry{}, fmt.Errorf("merged %d rows, the files hold %d", n, entry.Rows)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return FileEntry{}, err
	}
	st, err := os.Stat(tmp)
	if err != nil {
		return FileEntry{}, err
	}
	entry.Bytes = st.Size()
	pub, err := s.Publish([]pendingFile{{tmp: tmp, entry: entry}})
	if err != nil {
		os.Remove(tmp)
		return FileEntry{}, err
	}
	return pub[0], nil
}

// compactDB returns the DuckDB connection compaction uses, opening it on
// first use.
func (s *Store) compactDB() (*sql.DB, error) {
	if s.cdb != nil {
		return s.cdb, nil
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("cannot start DuckDB: %w", err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{"SET TimeZone='UTC'", "SET memory_limit='192MB'", "SET preserve_insertion_order=false", "SET threads=1",
		"SET temp_directory=" + quote(s.path(tmpDir))} {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			return nil, fmt.Errorf("cannot start DuckDB: %w", err)
		}
	}
	s.cdb = db
	return db, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
