// Package source lists and opens log objects, local files and folders (Dir)
// and S3 prefixes (S3), behind one interface (keytrail.Source).
package source

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Decompressor turns stored bytes into uncompressed bytes, reusing its
// buffers and decoders from one object to the next. It is used by one
// goroutine.
type Decompressor struct {
	br     *bufio.Reader
	gz     *gzip.Reader
	zs     *zstd.Decoder
	format string
}

// Format names the compression the last Reset found: "gzip", "zstd" or ""
// (none).
func (d *Decompressor) Format() string { return d.format }

// Reset returns a reader of r's uncompressed bytes, as Decompress does; the
// previous reader returned is no longer valid.
func (d *Decompressor) Reset(r io.Reader) (io.Reader, error) {
	if d.br == nil {
		d.br = bufio.NewReaderSize(nil, 128<<10) // never r itself, see bufio.NewReaderSize
	}
	d.br.Reset(r)
	d.format = ""
	magic, err := d.br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		if d.gz == nil {
			d.gz, err = gzip.NewReader(d.br)
		} else {
			err = d.gz.Reset(d.br)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read gzip header: %w", err)
		}
		d.format = "gzip"
		return d.gz, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		if d.zs == nil {
			d.zs, err = zstd.NewReader(d.br, zstd.WithDecoderConcurrency(1))
		} else {
			err = d.zs.Reset(d.br)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read zstd header: %w", err)
		}
		d.format = "zstd"
		return d.zs, nil
	}
	return d.br, nil
}

// Close releases the decoders.
func (d *Decompressor) Close() {
	if d.zs != nil {
		d.zs.Close()
	}
}

// Decompress returns a reader of r's uncompressed bytes: gzip (any number of
// members, as CloudTrail and concatenating tools write) and zstd are detected
// by their magic numbers; anything else is returned as it is. The returned
// func releases decoder resources; it does not close r.
func Decompress(r io.Reader) (io.Reader, func(), error) {
	d := &Decompressor{}
	rr, err := d.Reset(r)
	if err != nil {
		return nil, nil, err
	}
	return rr, d.Close, nil
}
