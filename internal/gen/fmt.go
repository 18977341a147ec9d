package gen

import "strconv"

// civil converts a Unix time in seconds (UTC) to its calendar fields.
func civil(t int64) (year, month, day, hour, min, sec int) {
	days := t / 86400
	rem := t % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	hour, min, sec = int(rem/3600), int(rem%3600/60), int(rem%60)
	// Howard Hinnant's days-to-civil algorithm.
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d), hour, min, sec
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// appendISO appends 2006-01-02T15:04:05Z.
func appendISO(b []byte, t int64) []byte {
	y, mo, d, h, mi, s := civil(t)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, mo)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	return append(b, 'Z')
}

var monthAbbr = [...]string{"", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendAccessTime appends the access-log time with its brackets:
// [06/Feb/2019:00:00:38 +0000].
func appendAccessTime(b []byte, t int64) []byte {
	y, mo, d, h, mi, s := civil(t)
	b = append(b, '[')
	b = append2(b, d)
	b = append(b, '/')
	b = append(b, monthAbbr[mo]...)
	b = append(b, '/')
	b = append4(b, y)
	b = append(b, ':')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	return append(b, " +0000]"...)
}

// appendLegacyDate appends the date style IAM and STS use inside
// responseElements: "Jan 2, 2024, 4:41:07 PM".
func appendLegacyDate(b []byte, t int64) []byte {
	y, mo, d, h, mi, s := civil(t)
	b = append(b, monthAbbr[mo]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, ", "...)
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	b = strconv.AppendInt(b, int64(h12), 10)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	if h < 12 {
		return append(b, " AM"...)
	}
	return append(b, " PM"...)
}

// appendDash appends YYYY-MM-DD.
func appendDate(b []byte, t int64, sep byte) []byte {
	y, mo, d, _, _, _ := civil(t)
	b = append4(b, y)
	b = append(b, sep)
	b = append2(b, mo)
	b = append(b, sep)
	return append2(b, d)
}

// appendJSONString appends s as a JSON string, escaping what JSON requires.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&15])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendKV appends ,"key":"value" (or without the comma when first).
func appendKV(b []byte, key, val string) []byte {
	return appendJSONString(appendKey(b, key), val)
}

// appendKRaw appends ,"key":raw where raw is already JSON.
func appendKRaw(b []byte, key, raw string) []byte {
	return append(appendKey(b, key), raw...)
}

// appendKInt appends ,"key":n.
func appendKInt(b []byte, key string, n int64) []byte {
	return strconv.AppendInt(appendKey(b, key), n, 10)
}

// appendKey appends ,"key": ready for a value.
func appendKey(b []byte, key string) []byte {
	if len(b) > 0 {
		switch b[len(b)-1] {
		case '{', '[':
		default:
			b = append(b, ',')
		}
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// urlEncodeKey appends an object key URL-encoded as S3 writes it in access
// logs: unreserved characters and '/' stay, the rest is %XX.
func urlEncodeKey(b []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return b
}
