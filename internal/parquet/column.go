package parquet

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unsafe"
)

// dictionaryLimit is the size of a column chunk's dictionary beyond which
// the chunk falls back to plain values.
const dictionaryLimit = 1 << 20

// Column buffers the values of one leaf for the next row group. Plain
// string values are copied into one byte slice, so that a buffered row
// group is a few large objects for the garbage collector, not one per
// value; each distinct dictionary value is copied once.
type Column struct {
	leaf       *Leaf
	clean      func(string) string // Options.Clean
	defs, reps []uint8             // one per value or null, when MaxDef, MaxRep > 0
	data       []byte              // plain string values, end to end
	ends       []uint32            // where each plain value ends in data
	ints       []int64
	dict       map[string]uint32 // nil: no dictionary (option, or fallen back)
	dictVals   []string
	dictBytes  int
	idx        []uint32             // dictionary indices of the values
	seen       *[seenSize]seenValue // recent dictionary values by address
	last       string               // the last dictionary value by content,
	lastID     uint32               // for callers that do not intern
	size       int64                // bytes held, roughly
}

func newColumn(l *Leaf, clean func(string) string) *Column {
	c := &Column{leaf: l, clean: clean}
	c.reset()
	return c
}

func (c *Column) reset() {
	c.defs, c.reps, c.data, c.ends, c.ints, c.idx, c.dictVals = c.defs[:0], c.reps[:0], c.data[:0], c.ends[:0], c.ints[:0], c.idx[:0], c.dictVals[:0]
	clear(c.dictVals[:cap(c.dictVals)]) // let the strings go
	c.dictBytes, c.size, c.last = 0, 0, ""
	if c.seen != nil {
		clear(c.seen[:])
	}
	if c.leaf.typ == typeByteArray && !c.leaf.opts.NoDictionary {
		if c.dict == nil || len(c.dict) > 4096 { // (a cleared map keeps its size)
			c.dict = map[string]uint32{}
		} else {
			clear(c.dict)
		}
		if c.seen == nil {
			c.seen = new([seenSize]seenValue)
		}
	}
}

func (c *Column) levels(def, rep int) {
	if c.leaf.MaxDef > 0 {
		c.defs = append(c.defs, uint8(def))
	}
	if c.leaf.MaxRep > 0 {
		c.reps = append(c.reps, uint8(rep))
	}
}

// Null appends a missing value: def is the number of optional or repeated
// fields on its path that are present, rep the repetition level (0 for a
// new row).
func (c *Column) Null(def, rep int) {
	c.levels(def, rep)
	c.size++
}

// String appends a value of a string leaf.
func (c *Column) String(s string, rep int) {
	c.levels(c.leaf.MaxDef, rep)
	if c.dict == nil {
		c.plain(c.clean(s))
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	sv := &c.seen[p>>3&(seenSize-1)]
	if sv.p == p && sv.s == s && len(s) > 0 {
		c.idx = append(c.idx, sv.id)
		c.size += 4
		return
	}
	if len(c.idx) > 0 && s == c.last {
		c.idx = append(c.idx, c.lastID)
		c.size += 4
		return
	}
	id, ok := c.dict[s]
	if !ok {
		if c.dictBytes+len(s) > dictionaryLimit {
			c.fallBack()
			c.plain(c.clean(s))
			return
		}
		id = uint32(len(c.dictVals))
		key := strings.Clone(s) // not a piece of a larger string the caller made
		val := c.clean(key)
		c.dict[key] = id
		c.dictVals = append(c.dictVals, val)
		c.dictBytes += len(s) + 4
		c.size += int64(len(s)) + 48
	}
	c.idx = append(c.idx, id)
	own := c.dictVals[id]
	*sv = seenValue{p, own, id}
	c.last, c.lastID = own, id
	c.size += 4
}

// seenValue remembers the dictionary index of a string by its address:
// callers that intern their strings (the CloudTrail decoder does) pass the
// same string again and again, and finding it by address is cheaper than
// hashing it. The address only picks the entry; the value is compared too,
// so a caller's buffer reused for other bytes cannot match, and the entry
// holds the dictionary's copy, not the caller's memory.
type seenValue struct {
	p  uintptr
	s  string
	id uint32
}

const seenSize = 256

// fallBack turns the dictionary-encoded values into plain ones for the
// rest of the row group.
func (c *Column) fallBack() {
	for _, id := range c.idx {
		c.plain(c.dictVals[id])
	}
	c.idx = c.idx[:0]
	clear(c.dictVals)
	c.dictVals, c.dictBytes, c.dict = c.dictVals[:0], 0, nil
}

func (c *Column) plain(s string) {
	c.data = append(c.data, s...)
	c.ends = append(c.ends, uint32(len(c.data)))
	c.size += int64(len(s)) + 4
}

// value returns plain value i.
func (c *Column) value(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.data[start:c.ends[i]]
}

// Int64 appends a value of an int64 or timestamp leaf.
func (c *Column) Int64(v int64, rep int) {
	c.levels(c.leaf.MaxDef, rep)
	c.ints = append(c.ints, v)
	c.size += 9
}

// levelCount is the number of values and nulls.
func (c *Column) levelCount() int {
	if c.leaf.MaxDef > 0 {
		return len(c.defs)
	}
	return c.valueCount()
}

func (c *Column) valueCount() int {
	switch {
	case c.leaf.typ == typeInt64:
		return len(c.ints)
	case c.dict != nil:
		return len(c.idx)
	}
	return len(c.ends)
}

// valueSize is the plain size of value i, for cutting pages.
func (c *Column) valueSize(i int) int {
	switch {
	case c.leaf.typ == typeInt64:
		return 8
	case c.dict != nil:
		return 2
	}
	return 4 + len(c.value(i))
}

// stats returns the least and greatest values in their statistics
// encoding (nil when there are none).
func (c *Column) stats() (lo, hi []byte) {
	if c.leaf.opts.NoStats {
		return nil, nil
	}
	if c.leaf.typ == typeInt64 {
		if len(c.ints) == 0 {
			return nil, nil
		}
		mn, mx := c.ints[0], c.ints[0]
		for _, v := range c.ints[1:] {
			mn, mx = min(mn, v), max(mx, v)
		}
		return binary.LittleEndian.AppendUint64(nil, uint64(mn)), binary.LittleEndian.AppendUint64(nil, uint64(mx))
	}
	if c.dict != nil {
		if len(c.dictVals) == 0 {
			return nil, nil
		}
		mn, mx := c.dictVals[0], c.dictVals[0]
		for _, v := range c.dictVals[1:] {
			mn, mx = min(mn, v), max(mx, v)
		}
		return []byte(mn), []byte(mx)
	}
	if len(c.ends) == 0 {
		return nil, nil
	}
	mn, mx := c.value(0), c.value(0)
	for i := 1; i < len(c.ends); i++ {
		if v := c.value(i); bytes.Compare(v, mn) < 0 {
			mn = v
		} else if bytes.Compare(v, mx) > 0 {
			mx = v
		}
	}
	return bytes.Clone(mn), bytes.Clone(mx)
}

// RowGroup buffers the columns of one row group of a schema. The caller
// appends every leaf of each row (see Column) and counts the rows.
type RowGroup struct {
	Columns []*Column
	Rows    int64
}

// NewRowGroup returns empty buffers for the schema's leaves.
func (sc *Schema) NewRowGroup() *RowGroup {
	rg := &RowGroup{Columns: make([]*Column, len(sc.Leaves))}
	for i, l := range sc.Leaves {
		rg.Columns[i] = newColumn(l, sc.clean)
	}
	return rg
}

// Size returns the bytes the buffers hold, roughly.
func (rg *RowGroup) Size() int64 {
	var n int64
	for _, c := range rg.Columns {
		n += c.size
	}
	return n
}

// Capacity returns the bytes the buffers have room for, roughly.
func (rg *RowGroup) Capacity() int64 {
	var n int
	for _, c := range rg.Columns {
		n += cap(c.defs) + cap(c.reps) + cap(c.data) + 4*cap(c.ends) + 8*cap(c.ints) + 4*cap(c.idx) + 16*cap(c.dictVals)
	}
	return int64(n)
}

// Reset empties the buffers for reuse.
func (rg *RowGroup) Reset() {
	for _, c := range rg.Columns {
		c.reset()
	}
	rg.Rows = 0
}
