package store

import (
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// zstdCodec compresses the store's Parquet pages in place of arrow-go's
// codec, which keeps its encoders in a sync.Pool: the pool is emptied at
// every garbage collection, and each new encoder allocates (and zeroes) a
// history of a megabyte or more, about a tenth of an ingest's CPU. Here
// every level has one encoder for the life of the process; EncodeAll is
// safe for concurrent use.
type zstdCodec struct{}

var (
	zstdMu       sync.Mutex
	zstdEncoders = map[zstd.EncoderLevel]*zstd.Encoder{}
	zstdDecoder  = sync.OnceValue(func() *zstd.Decoder {
		d, _ := zstd.NewReader(nil)
		return d
	})
)

func init() { compress.RegisterCodec(compress.Codecs.Zstd, zstdCodec{}) }

func zstdEncoder(level int) *zstd.Encoder {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	zstdMu.Lock()
	defer zstdMu.Unlock()
	e := zstdEncoders[l]
	if e == nil {
		e, _ = zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(l))
		zstdEncoders[l] = e
	}
	return e
}

func (zstdCodec) Encode(dst, src []byte) []byte {
	return zstdEncoder(compress.DefaultCompressionLevel).EncodeAll(src, dst[:0])
}

func (zstdCodec) EncodeLevel(dst, src []byte, level int) []byte {
	return zstdEncoder(level).EncodeAll(src, dst[:0])
}

// CompressBound is ZSTD_COMPRESSBOUND of zstd.h.
func (zstdCodec) CompressBound(n int64) int64 {
	extra := int64(0)
	if n < 128<<10 {
		extra = ((128 << 10) - n) >> 11
	}
	return n + n>>8 + extra
}

func (zstdCodec) Decode(dst, src []byte) []byte {
	out, err := zstdDecoder().DecodeAll(src, dst[:0])
	if err != nil {
		panic(err) // arrow-go's codecs panic too: Decode has no error result
	}
	return out
}
