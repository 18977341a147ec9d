// Package source lists and opens log objects: local files and folders, and
// (later) S3 buckets, behind one interface.
package source

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Decompress returns a reader of r's uncompressed bytes: gzip (any number of
// members, as CloudTrail and concatenating tools write) and zstd are detected
// by their magic numbers; anything else is returned as it is. The returned
// closer releases decoder resources; it does not close r.
func Decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 128<<10)
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("cannot read: %w", err)
	}
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read gzip header: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read zstd header: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}
