package parquet

import "encoding/binary"

// The Parquet metadata (page headers and the footer) is Thrift's compact
// protocol. thriftWriter writes the few shapes keytrail needs: structs of
// integers, booleans, binaries, lists and nested structs.

// Compact protocol type ids.
const (
	tTrue   = 1
	tFalse  = 2
	tI32    = 5
	tI64    = 6
	tBinary = 8
	tList   = 9
	tStruct = 12
)

type thriftWriter struct {
	b    []byte
	last []int16 // the last field id of each open struct
}

func (w *thriftWriter) begin() { w.last = append(w.last, 0) }

// end closes the innermost struct with a stop field.
func (w *thriftWriter) end() {
	w.b = append(w.b, 0)
	w.last = w.last[:len(w.last)-1]
}

func (w *thriftWriter) field(id int16, typ byte) {
	top := &w.last[len(w.last)-1]
	if d := id - *top; d > 0 && d <= 15 {
		w.b = append(w.b, byte(d)<<4|typ)
	} else {
		w.b = append(w.b, typ)
		w.b = binary.AppendVarint(w.b, int64(id)) // zigzag varint i16
	}
	*top = id
}

func (w *thriftWriter) i32(id int16, v int32) {
	w.field(id, tI32)
	w.b = binary.AppendVarint(w.b, int64(v))
}

func (w *thriftWriter) i64(id int16, v int64) {
	w.field(id, tI64)
	w.b = binary.AppendVarint(w.b, v)
}

func (w *thriftWriter) bool(id int16, v bool) {
	if v {
		w.field(id, tTrue)
	} else {
		w.field(id, tFalse)
	}
}

func (w *thriftWriter) binary(id int16, v []byte) {
	w.field(id, tBinary)
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	w.b = append(w.b, v...)
}

func (w *thriftWriter) string(id int16, v string) {
	w.field(id, tBinary)
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	w.b = append(w.b, v...)
}

// list starts a list field of n elements of type elem; the caller writes
// the elements (listI32, listString, or begin/end for structs).
func (w *thriftWriter) list(id int16, elem byte, n int) {
	w.field(id, tList)
	if n < 15 {
		w.b = append(w.b, byte(n)<<4|elem)
	} else {
		w.b = append(w.b, 0xf0|elem)
		w.b = binary.AppendUvarint(w.b, uint64(n))
	}
}

func (w *thriftWriter) listI32(id int16, vs []int32) {
	w.list(id, tI32, len(vs))
	for _, v := range vs {
		w.b = binary.AppendVarint(w.b, int64(v))
	}
}

func (w *thriftWriter) listString(id int16, vs []string) {
	w.list(id, tBinary, len(vs))
	for _, v := range vs {
		w.b = binary.AppendUvarint(w.b, uint64(len(v)))
		w.b = append(w.b, v...)
	}
}

// structField starts a struct-valued field; close it with end.
func (w *thriftWriter) structField(id int16) {
	w.field(id, tStruct)
	w.begin()
}
