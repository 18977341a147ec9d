// Package parquet writes Parquet files of the store's tables: zstd pages,
// dictionary, plain and delta encodings, column statistics. It is a writer
// only, for the nested shapes keytrail's Arrow schemas describe (strings,
// int64s, UTC microsecond timestamps, structs, lists and string maps, every
// field nullable, except map keys), and it is fed by the caller's own
// shredding: the caller appends each leaf value with its repetition and
// definition levels into a RowGroup, and Writer.Write encodes it. No value
// is boxed or goes through an intermediate Arrow array.
//
// The files follow the Parquet format specification
// (https://parquet.apache.org/docs/file-format/): format version 2 metadata,
// data pages v1, one dictionary page per dictionary-encoded column chunk.
package parquet

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Encoding is a Parquet value encoding for a column's data pages.
type Encoding int32

// The encodings a column may ask for; dictionary encoding is the default
// of string columns (see ColumnOptions).
const (
	Plain             Encoding = 0
	DeltaBinaryPacked Encoding = 5 // int64 columns
	DeltaByteArray    Encoding = 7 // string columns
	rle               Encoding = 3
	rleDictionary     Encoding = 8
)

// ColumnOptions tune one leaf column.
type ColumnOptions struct {
	NoDictionary bool     // plain (or Encoding) values instead of a dictionary
	NoStats      bool     // no min/max statistics (large text no query prunes on)
	Encoding     Encoding // the encoding without a dictionary; Plain by default
}

// Options are the settings of every file of a schema.
type Options struct {
	Level    int                      // zstd level, 1 (the default, fastest) … 4
	Columns  map[string]ColumnOptions // by the leaf's dotted path or a top-level name
	PageSize int                      // uncompressed data page size; 1 MiB by default
	// Clean, if set, turns each string into the one to store (Parquet
	// strings must be valid UTF-8). It runs once per value stored: for a
	// dictionary value, when it is first added.
	Clean func(string) string
}

// Parquet physical types, repetitions and annotations used here.
const (
	typeInt64     = 2
	typeByteArray = 6

	required = 0
	optional = 1
	repeated = 2

	convUTF8      = 0
	convMap       = 1
	convList      = 3
	convTimestamp = 10 // TIMESTAMP_MICROS
)

type element struct {
	name        string
	typ         int32 // -1 for groups
	repetition  int32
	children    int32
	converted   int32 // -1 for none
	logical     int16 // LogicalType union field: 1 STRING, 2 MAP, 3 LIST, 8 TIMESTAMP; 0 none
	isTimestamp bool
}

// Leaf is one column of a schema: a path to a primitive value.
type Leaf struct {
	Path           string // dotted, e.g. useridentity.sessioncontext.sessionissuer.arn
	path           []string
	typ            int32
	MaxDef, MaxRep int
	opts           ColumnOptions
}

// Schema is a Parquet schema made from an Arrow schema, with the
// writer's options resolved per leaf. It is immutable and may be shared.
type Schema struct {
	clean    func(string) string
	elements []element
	Leaves   []*Leaf
	level    int
	pageSize int
}

// NewSchema converts s: nullable fields are OPTIONAL, structs groups,
// lists and maps the standard LIST and MAP groups. It fails on a type the
// writer does not support.
func NewSchema(s *arrow.Schema, o Options) (*Schema, error) {
	sc := &Schema{level: o.Level, pageSize: o.PageSize, clean: o.Clean}
	if sc.clean == nil {
		sc.clean = func(s string) string { return s }
	}
	if sc.level == 0 {
		sc.level = 1
	}
	if sc.pageSize == 0 {
		sc.pageSize = 1 << 20
	}
	sc.elements = append(sc.elements, element{name: "schema", typ: -1, repetition: -1, children: int32(s.NumFields()), converted: -1})
	for _, f := range s.Fields() {
		if err := sc.add(f.Name, f.Type, f.Nullable, nil, 0, 0, o); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

func (sc *Schema) add(name string, t arrow.DataType, nullable bool, parent []string, def, rep int, o Options) error {
	path := append(append([]string(nil), parent...), name)
	rp := int32(required)
	if nullable {
		rp = optional
		def++
	}
	group := func(n int, conv int32, logical int16) {
		sc.elements = append(sc.elements, element{name: name, typ: -1, repetition: rp, children: int32(n), converted: conv, logical: logical})
	}
	switch t := t.(type) {
	case *arrow.StringType:
		sc.elements = append(sc.elements, element{name: name, typ: typeByteArray, repetition: rp, converted: convUTF8, logical: 1})
	case *arrow.Int64Type:
		sc.elements = append(sc.elements, element{name: name, typ: typeInt64, repetition: rp, converted: -1})
	case *arrow.TimestampType:
		if t.Unit != arrow.Microsecond || t.TimeZone != "UTC" {
			return fmt.Errorf("parquet: unsupported timestamp %s of %s", t, name)
		}
		sc.elements = append(sc.elements, element{name: name, typ: typeInt64, repetition: rp, converted: convTimestamp, logical: 8, isTimestamp: true})
	case *arrow.StructType:
		group(t.NumFields(), -1, 0)
		for _, f := range t.Fields() {
			if err := sc.add(f.Name, f.Type, f.Nullable, path, def, rep, o); err != nil {
				return err
			}
		}
		return nil
	case *arrow.MapType:
		group(1, convMap, 2)
		sc.elements = append(sc.elements, element{name: "key_value", typ: -1, repetition: repeated, children: 2, converted: -1})
		kv := append(path, "key_value")
		if err := sc.add("key", t.KeyType(), false, kv, def+1, rep+1, o); err != nil {
			return err
		}
		return sc.add("value", t.ItemType(), t.ItemField().Nullable, kv, def+1, rep+1, o)
	case *arrow.ListType:
		group(1, convList, 3)
		sc.elements = append(sc.elements, element{name: "list", typ: -1, repetition: repeated, children: 1, converted: -1})
		return sc.add("element", t.Elem(), t.ElemField().Nullable, append(path, "list"), def+1, rep+1, o)
	default:
		return fmt.Errorf("parquet: unsupported type %s of %s", t, name)
	}
	dotted := strings.Join(path, ".")
	opts, ok := o.Columns[dotted]
	if !ok {
		opts = o.Columns[path[0]]
	}
	sc.Leaves = append(sc.Leaves, &Leaf{Path: dotted, path: path, typ: sc.elements[len(sc.elements)-1].typ, MaxDef: def, MaxRep: rep, opts: opts})
	return nil
}
