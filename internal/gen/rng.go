package gen

import (
	"encoding/base64"
	"math/bits"
)

// rng is a small, fast, deterministic pseudo-random generator (the wyrand
// construction). Its sequence depends only on the seed, on every platform and
// Go version, which is what byte-identical output needs.
type rng struct{ s uint64 }

func newRNG(seed uint64) rng { return rng{s: mix64(seed ^ 0x9e3779b97f4a7c15)} }

func (r *rng) u64() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a number in [0, n); n must be positive and below 2^32.
func (r *rng) intn(n int) int {
	return int(((r.u64() >> 32) * uint64(n)) >> 32)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.u64()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

// pick returns a random element of a non-empty list.
func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// mix64 is the splitmix64 finaliser: a good 64-bit hash of one word.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash2 hashes two words into one.
func hash2(a, b uint64) uint64 { return mix64(a ^ mix64(b+0x632be59bd9b4e019)) }

// hashStr hashes a string (FNV-1a, then mixed).
func hashStr(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}

const (
	base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	hexLower    = "0123456789abcdef"
	hexUpper    = "0123456789ABCDEF"
	alnumMixed  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	alnumUpper  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// appendB32 appends n characters of the IAM-style alphabet (A-Z, 2-7)
// drawn from h; n ≤ 24 (two hashes are chained for more than 12).
func appendB32(b []byte, h uint64, n int) []byte {
	for i := 0; i < n; i++ {
		if i == 12 {
			h = mix64(h + 0x1234567)
		}
		b = append(b, base32Upper[h&31])
		h >>= 5
	}
	return b
}

// awsID returns an IAM-style identifier: prefix (AKIA, ASIA, AIDA, AROA…)
// followed by n base-32 characters derived from h.
func awsID(prefix string, h uint64, n int) string {
	b := make([]byte, 0, len(prefix)+n)
	b = append(b, prefix...)
	return string(appendB32(b, h, n))
}

// appendHex appends n hex digits of random data.
func (r *rng) appendHex(b []byte, n int, upper bool) []byte {
	digits := hexLower
	if upper {
		digits = hexUpper
	}
	var v uint64
	for i := 0; i < n; i++ {
		if i%16 == 0 {
			v = r.u64()
		}
		b = append(b, digits[v&15])
		v >>= 4
	}
	return b
}

// appendChars appends n random characters of alphabet (at most 64 long).
func (r *rng) appendChars(b []byte, alphabet string, n int) []byte {
	var v uint64
	for i := 0; i < n; i++ {
		if i%8 == 0 {
			v = r.u64()
		}
		b = append(b, alphabet[int((v&0xff)*uint64(len(alphabet))>>8)])
		v >>= 8
	}
	return b
}

// appendUUID appends a random version-4 UUID.
func (r *rng) appendUUID(b []byte) []byte {
	hi, lo := r.u64(), r.u64()
	hi = hi&^0xf000 | 0x4000                       // version 4
	lo = lo&^(0xc<<60) | (0x8 << 60)               // variant 10
	b = appendHexWord(b, hi>>32, 8)                // 8
	b = append(b, '-')                             //
	b = appendHexWord(b, (hi>>16)&0xffff, 4)       // 4
	b = append(b, '-')                             //
	b = appendHexWord(b, hi&0xffff, 4)             // 4
	b = append(b, '-')                             //
	b = appendHexWord(b, lo>>48, 4)                // 4
	b = append(b, '-')                             //
	return appendHexWord(b, lo&0xffffffffffff, 12) // 12
}

// appendHexWord appends the low n hex digits of v, most significant first.
func appendHexWord(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, hexLower[(v>>(uint(i)*4))&15])
	}
	return b
}

// appendS3RequestID appends an S3 request ID: 16 characters of 0-9A-Z.
func (r *rng) appendS3RequestID(b []byte) []byte { return r.appendChars(b, alnumUpper, 16) }

// appendHostID appends an S3 host id (x-amz-id-2): base64 of 56 random bytes.
func (r *rng) appendHostID(b []byte) []byte {
	var raw [56]byte
	for i := 0; i < 56; i += 8 {
		v := r.u64()
		for j := 0; j < 8; j++ {
			raw[i+j] = byte(v >> (8 * j))
		}
	}
	return base64.StdEncoding.AppendEncode(b, raw[:])
}

// appendB64 appends base64 of n ≤ 512 random bytes (session tokens and the like).
func (r *rng) appendB64(b []byte, n int) []byte {
	var buf [512]byte
	raw := buf[:n]
	for i := 0; i < n; i += 8 {
		v := r.u64()
		for j := 0; j < 8 && i+j < n; j++ {
			raw[i+j] = byte(v >> (8 * j))
		}
	}
	return base64.StdEncoding.AppendEncode(b, raw)
}
