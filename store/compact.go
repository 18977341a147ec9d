package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Compaction merges the files of a partition into one, so that a store fed
// every five minutes for months does not become millions of small files.
const (
	compactMaxFile  = 64 << 20  // files smaller than this are merged
	compactMaxBytes = 512 << 20 // a merged file stays below this
	compactBatch    = 16 << 10  // rows per read batch: bounds memory
)

// Compact merges the small files of each given partition into one file per
// partition (streaming, in bounded memory), commits the swap in one
// manifest delta and removes the merged files. Requires the writer lock.
// Returns the number of files merged away.
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
		if len(small) < 2 {
			continue
		}
		b := s.NewBatch(p.Table)
		entry, err := s.merge(ctx, b, p, small)
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
		for _, f := range small {
			os.Remove(s.path(f.Path))
		}
		merged += len(small)
	}
	return merged, nil
}

// merge writes the rows of files into one new file in partition p and
// moves it into place (uncommitted).
func (s *Store) merge(ctx context.Context, b *Batch, p Partition, files []*FileEntry) (FileEntry, error) {
	b.seq++
	name := fmt.Sprintf("part-%s-%04d.parquet", b.id, b.seq)
	tmp := filepath.Join(s.path(tmpDir), name)
	out, err := os.Create(tmp)
	if err != nil {
		return FileEntry{}, err
	}
	// The files were written by this package: the first one's schema (with
	// the field metadata Parquet adds) is every file's schema.
	schema, err := fileSchema(s.path(files[0].Path))
	if err != nil {
		out.Close()
		os.Remove(tmp)
		return FileEntry{}, err
	}
	w, err := pqarrow.NewFileWriter(schema, syncOnClose{out}, parquetProps(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		out.Close()
		os.Remove(tmp)
		return FileEntry{}, err
	}
	entry := FileEntry{Path: p.Dir() + "/" + name, Table: p.Table, Partition: p}
	fail := func(err error) (FileEntry, error) {
		w.Close()
		os.Remove(tmp)
		return FileEntry{}, err
	}
	for _, f := range files {
		if err := copyRows(ctx, s.path(f.Path), w); err != nil {
			return fail(fmt.Errorf("%s: %w", f.Path, err))
		}
		entry.Rows += f.Rows
		if entry.MinTime.IsZero() || (!f.MinTime.IsZero() && f.MinTime.Before(entry.MinTime)) {
			entry.MinTime = f.MinTime
		}
		if f.MaxTime.After(entry.MaxTime) {
			entry.MaxTime = f.MaxTime
		}
	}
	if err := w.Close(); err != nil {
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

// fileSchema returns the Arrow schema of a Parquet file.
func fileSchema(path string) (*arrow.Schema, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	return fr.Schema()
}

// copyRows streams the rows of the Parquet file at path into w.
func copyRows(ctx context.Context, path string, w *pqarrow.FileWriter) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: compactBatch}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	for {
		rec, err := rr.Read()
		if rec != nil && rec.NumRows() > 0 {
			if werr := w.WriteBuffered(rec); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && rec == nil) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
