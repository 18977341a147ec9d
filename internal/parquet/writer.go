package parquet

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Writer writes one Parquet file: row groups as they are written, the
// footer at Close. A Writer is used by one goroutine; several may run at
// once.
type Writer struct {
	out    io.Writer
	pos    int64
	sc     *Schema
	enc    *zstd.Encoder
	groups []groupMeta
	rows   int64
	*pageBuffers
	t   thriftWriter
	err error
}

type groupMeta struct {
	chunks                       []chunkMeta
	rows, offset, size, compSize int64
}

type chunkMeta struct {
	dictOffset, dataOffset   int64 // dictOffset -1: no dictionary
	values                   int64
	uncompressed, compressed int64
	encodings                []int32
	nulls                    int64
	min, max                 []byte // nil: no statistics
}

// Page types of the page header.
const (
	pageData       = 0
	pageDictionary = 2
)

const codecZstd = 6

var magic = []byte("PAR1")

// NewWriter starts a file of schema sc on out.
func NewWriter(out io.Writer, sc *Schema) (*Writer, error) {
	w := &Writer{out: out, sc: sc, enc: zstdEncoder(sc.level), pageBuffers: getPageBuffers()}
	w.write(magic)
	return w, w.err
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.out.Write(b)
	w.pos += int64(n)
	if err != nil {
		w.err = fmt.Errorf("cannot write a Parquet file: %w", err)
	}
}

// Write encodes rg as the file's next row group and empties rg. A row
// group of no rows is not written.
func (w *Writer) Write(rg *RowGroup) error {
	if rg.Rows == 0 || w.err != nil {
		rg.Reset()
		return w.err
	}
	for _, c := range rg.Columns {
		if n := c.levelCount(); int64(n) < rg.Rows {
			return fmt.Errorf("parquet: column %s has %d values for %d rows", c.leaf.Path, n, rg.Rows)
		}
	}
	g := groupMeta{rows: rg.Rows, offset: w.pos, chunks: make([]chunkMeta, len(rg.Columns))}
	for i, c := range rg.Columns {
		w.chunk(c, &g.chunks[i])
		g.size += g.chunks[i].uncompressed
		g.compSize += g.chunks[i].compressed
	}
	w.groups = append(w.groups, g)
	w.rows += rg.Rows
	rg.Reset()
	return w.err
}

func (w *Writer) chunk(c *Column, m *chunkMeta) {
	l := c.leaf
	m.dictOffset = -1
	enc := l.opts.Encoding
	if len(c.dictVals) > 0 { // (no dictionary for a chunk of nulls)
		enc = rleDictionary
		m.encodings = []int32{int32(Plain), int32(rle), int32(rleDictionary)}
		m.dictOffset = w.pos
		body := w.body[:0]
		for _, v := range c.dictVals {
			body = binary.LittleEndian.AppendUint32(body, uint32(len(v)))
			body = append(body, v...)
		}
		w.page(pageDictionary, body, len(c.dictVals), Plain, m)
	} else {
		m.encodings = []int32{int32(enc), int32(rle)}
	}
	m.dataOffset = w.pos
	n := c.levelCount()
	l0, v0, v := 0, 0, 0
	if c.size > int64(w.sc.pageSize) { // cut pages at rows
		size := 0
		for i := 0; i < n; i++ {
			if size >= w.sc.pageSize && (l.MaxRep == 0 || c.reps[i] == 0) {
				w.dataPage(c, l0, i, v0, v, enc, m)
				l0, v0, size = i, v, 0
			}
			if l.MaxDef == 0 || int(c.defs[i]) == l.MaxDef {
				size += c.valueSize(v)
				v++
			}
		}
	} else {
		v = c.valueCount()
	}
	w.dataPage(c, l0, n, v0, v, enc, m)
	m.nulls = int64(n - c.valueCount())
	m.min, m.max = c.stats()
}

// dataPage writes levels [l0, l1) and values [v0, v1) of c as a page.
func (w *Writer) dataPage(c *Column, l0, l1, v0, v1 int, enc Encoding, m *chunkMeta) {
	l := c.leaf
	body := w.body[:0]
	if l.MaxRep > 0 {
		body = appendLevels(body, c.reps[l0:l1], l.MaxRep)
	}
	if l.MaxDef > 0 {
		body = appendLevels(body, c.defs[l0:l1], l.MaxDef)
	}
	switch {
	case l.typ == typeInt64 && enc == DeltaBinaryPacked:
		body = appendDeltaBinaryPacked(body, c.ints[v0:v1])
	case l.typ == typeInt64:
		for _, x := range c.ints[v0:v1] {
			body = binary.LittleEndian.AppendUint64(body, uint64(x))
		}
	case enc == rleDictionary:
		width := max(1, bitWidth(uint64(len(c.dictVals)-1)))
		body = append(body, byte(width))
		body = appendHybrid(body, c.idx[v0:v1], width)
	case enc == DeltaByteArray:
		body = appendDeltaByteArray(body, c, v0, v1)
	default:
		for i := v0; i < v1; i++ {
			v := c.value(i)
			body = binary.LittleEndian.AppendUint32(body, uint32(len(v)))
			body = append(body, v...)
		}
	}
	w.page(pageData, body, l1-l0, enc, m)
}

// page compresses body and writes it with its header.
func (w *Writer) page(kind int32, body []byte, values int, enc Encoding, m *chunkMeta) {
	w.body = body
	w.zbuf = w.enc.EncodeAll(body, w.zbuf[:0])
	t := &w.t
	t.b = t.b[:0]
	t.begin()
	t.i32(1, kind)
	t.i32(2, int32(len(body)))
	t.i32(3, int32(len(w.zbuf)))
	if kind == pageData {
		t.structField(5)
		t.i32(1, int32(values))
		t.i32(2, int32(enc))
		t.i32(3, int32(rle))
		t.i32(4, int32(rle))
		t.end()
		m.values += int64(values)
	} else {
		t.structField(7)
		t.i32(1, int32(values))
		t.i32(2, int32(Plain))
		t.end()
	}
	t.end()
	w.write(t.b)
	w.write(w.zbuf)
	m.uncompressed += int64(len(t.b) + len(body))
	m.compressed += int64(len(t.b) + len(w.zbuf))
}

// Close writes the footer; the caller closes out.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	t := &w.t
	t.b = t.b[:0]
	t.begin()
	t.i32(1, 2)
	t.list(2, tStruct, len(w.sc.elements))
	for _, e := range w.sc.elements {
		t.begin()
		if e.typ >= 0 {
			t.i32(1, e.typ)
		}
		if e.repetition >= 0 {
			t.i32(3, e.repetition)
		}
		t.string(4, e.name)
		if e.typ < 0 {
			t.i32(5, e.children)
		}
		if e.converted >= 0 {
			t.i32(6, e.converted)
		}
		if e.logical > 0 {
			t.structField(10)
			t.structField(e.logical)
			if e.isTimestamp {
				t.bool(1, true) // isAdjustedToUTC
				t.structField(2)
				t.structField(2) // MICROS
				t.end()
				t.end()
			}
			t.end()
			t.end()
		}
		t.end()
	}
	t.i64(3, w.rows)
	t.list(4, tStruct, len(w.groups))
	for _, g := range w.groups {
		t.begin()
		t.list(1, tStruct, len(g.chunks))
		for i, m := range g.chunks {
			l := w.sc.Leaves[i]
			start := m.dataOffset
			if m.dictOffset >= 0 {
				start = m.dictOffset
			}
			t.begin()
			t.i64(2, start)
			t.structField(3)
			t.i32(1, l.typ)
			t.listI32(2, m.encodings)
			t.listString(3, l.path)
			t.i32(4, codecZstd)
			t.i64(5, m.values)
			t.i64(6, m.uncompressed)
			t.i64(7, m.compressed)
			t.i64(9, m.dataOffset)
			if m.dictOffset >= 0 {
				t.i64(11, m.dictOffset)
			}
			t.structField(12)
			t.i64(3, m.nulls)
			if m.max != nil {
				t.binary(5, m.max)
				t.binary(6, m.min)
			}
			t.end()
			t.end()
			t.end()
		}
		t.i64(2, g.size)
		t.i64(3, g.rows)
		t.i64(5, g.offset)
		t.i64(6, g.compSize)
		t.end()
	}
	t.string(6, "keytrail")
	t.list(7, tStruct, len(w.sc.Leaves))
	for range w.sc.Leaves {
		t.begin()
		t.structField(1) // TYPE_ORDER
		t.end()
		t.end()
	}
	t.end()
	n := len(t.b)
	t.b = binary.LittleEndian.AppendUint32(t.b, uint32(n))
	t.b = append(t.b, magic...)
	w.write(t.b)
	putPageBuffers(w.pageBuffers)
	w.pageBuffers = nil
	return w.err
}

// pageBuffers hold a page before and after compression; files share them
// (a page is up to a megabyte and more, and growing a new buffer for each
// file cost more than writing its small pages). A few are kept for the
// life of the process: a sync.Pool would lose them at every collection.
type pageBuffers struct{ body, zbuf []byte }

var (
	pageMu   sync.Mutex
	pageFree []*pageBuffers
)

func getPageBuffers() *pageBuffers {
	pageMu.Lock()
	defer pageMu.Unlock()
	if n := len(pageFree); n > 0 {
		pb := pageFree[n-1]
		pageFree = pageFree[:n-1]
		return pb
	}
	return new(pageBuffers)
}

func putPageBuffers(pb *pageBuffers) {
	pageMu.Lock()
	defer pageMu.Unlock()
	if len(pageFree) < 8 {
		pageFree = append(pageFree, pb)
	}
}

// zstdEncoder returns the process's encoder of a level. arrow-go and
// others keep encoders in a sync.Pool, which every garbage collection
// empties, and a new encoder allocates (and zeroes) a history of a
// megabyte or more; EncodeAll is safe for concurrent use.
//
// Literals are always entropy-coded: at level 1 klauspost/compress skips
// that when a block has no matches, and pages of random IDs (CloudTrail's
// eventID, requestID) then stay uncompressed; with it, level 1 packs
// them within 2% of level 3 in less than half the time.
func zstdEncoder(level int) *zstd.Encoder {
	zstdMu.Lock()
	defer zstdMu.Unlock()
	e := zstdEncoders[level]
	if e == nil {
		e, _ = zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithAllLitEntropyCompression(true),
			zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)))
		zstdEncoders[level] = e
	}
	return e
}

var (
	zstdMu       sync.Mutex
	zstdEncoders = map[int]*zstd.Encoder{}
)
