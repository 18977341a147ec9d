package parquet

import (
	"encoding/binary"
	"math/bits"
)

// The value and level encodings of the Parquet format
// (https://parquet.apache.org/docs/file-format/data-pages/encodings/).

// bitWidth is the number of bits that hold values up to max.
func bitWidth(max uint64) int { return bits.Len64(max) }

// appendHybrid appends vals in the RLE / bit-packing hybrid encoding of
// the given width (without a length prefix): runs of 8 or more equal
// values as RLE runs, the rest bit-packed in groups of 8 (the last group
// padded with zeros; the page header's value count says where it ends).
func appendHybrid[T uint8 | uint32](dst []byte, vals []T, width int) []byte {
	n := len(vals)
	for i := 0; i < n; {
		j := i + 1
		for j < n && vals[j] == vals[i] {
			j++
		}
		if j-i >= 8 {
			dst = binary.AppendUvarint(dst, uint64(j-i)<<1)
			v := uint64(vals[i])
			for k := 0; k < (width+7)/8; k++ {
				dst = append(dst, byte(v))
				v >>= 8
			}
			i = j
			continue
		}
		start := i
		for i < n {
			j := i + 1
			for j < n && j-i < 8 && vals[j] == vals[i] {
				j++
			}
			if j-i >= 8 {
				break
			}
			i += 8
		}
		if i > n {
			i = n
		}
		groups := (i - start + 7) / 8
		dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
		dst = bitPack(dst, vals[start:i], groups*8, width)
	}
	return dst
}

// bitPack appends count values (vals, then zeros) of width bits each,
// least significant bit first; count*width must be a multiple of 8.
func bitPack[T uint8 | uint32 | uint64](dst []byte, vals []T, count, width int) []byte {
	if width == 0 {
		return dst
	}
	var acc uint64
	nb := 0
	for k := 0; k < count; k++ {
		var v uint64
		if k < len(vals) {
			v = uint64(vals[k])
		}
		if width > 56 { // acc cannot take it whole
			for b := 0; b < width; b++ {
				acc |= (v >> b & 1) << nb
				if nb++; nb == 8 {
					dst = append(dst, byte(acc))
					acc, nb = 0, 0
				}
			}
			continue
		}
		acc |= v << nb
		nb += width
		for nb >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			nb -= 8
		}
	}
	return dst
}

// appendLevels appends repetition or definition levels as a page v1
// stores them: a 4-byte length, then the hybrid encoding.
func appendLevels(dst []byte, levels []uint8, max int) []byte {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = appendHybrid(dst, levels, bitWidth(uint64(max)))
	binary.LittleEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

// DELTA_BINARY_PACKED block shape: blocks of 128 values in 4 miniblocks.
const (
	deltaBlock     = 128
	deltaMiniblock = 32
)

// appendDeltaBinaryPacked appends vals in the DELTA_BINARY_PACKED encoding.
func appendDeltaBinaryPacked(dst []byte, vals []int64) []byte {
	dst = binary.AppendUvarint(dst, deltaBlock)
	dst = binary.AppendUvarint(dst, deltaBlock/deltaMiniblock)
	dst = binary.AppendUvarint(dst, uint64(len(vals)))
	if len(vals) == 0 {
		return binary.AppendVarint(dst, 0)
	}
	dst = binary.AppendVarint(dst, vals[0])
	var deltas [deltaBlock]uint64
	for i := 1; i < len(vals); i += deltaBlock {
		n := min(deltaBlock, len(vals)-i)
		minDelta := vals[i] - vals[i-1]
		for k := 0; k < n; k++ {
			if d := vals[i+k] - vals[i+k-1]; d < minDelta {
				minDelta = d
			}
		}
		for k := 0; k < n; k++ {
			deltas[k] = uint64(vals[i+k] - vals[i+k-1] - minDelta)
		}
		dst = binary.AppendVarint(dst, minDelta)
		var widths [deltaBlock / deltaMiniblock]int
		for m := range widths {
			var or uint64
			for k := m * deltaMiniblock; k < min(n, (m+1)*deltaMiniblock); k++ {
				or |= deltas[k]
			}
			widths[m] = bitWidth(or)
			dst = append(dst, byte(widths[m]))
		}
		for m := range widths {
			lo := m * deltaMiniblock
			if lo >= n {
				break // no bodies for unneeded miniblocks
			}
			dst = bitPack(dst, deltas[lo:min(n, lo+deltaMiniblock)], deltaMiniblock, widths[m])
		}
	}
	return dst
}

// appendDeltaByteArray appends plain values [v0, v1) of c in the
// DELTA_BYTE_ARRAY encoding: the length of the prefix each shares with the
// one before, then the suffixes (DELTA_LENGTH_BYTE_ARRAY).
func appendDeltaByteArray(dst []byte, c *Column, v0, v1 int) []byte {
	prefixes := make([]int64, v1-v0)
	suffixes := make([]int64, v1-v0)
	var prev []byte
	for i := range prefixes {
		v := c.value(v0 + i)
		p := 0
		for p < len(v) && p < len(prev) && v[p] == prev[p] {
			p++
		}
		prefixes[i], suffixes[i] = int64(p), int64(len(v)-p)
		prev = v
	}
	dst = appendDeltaBinaryPacked(dst, prefixes)
	dst = appendDeltaBinaryPacked(dst, suffixes)
	for i := range prefixes {
		dst = append(dst, c.value(v0 + i)[prefixes[i]:]...)
	}
	return dst
}
