package store

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
)

// javaFormat implements Trino's format(format, args...), which is Java's
// String.format: %[index$][flags][width][.precision]conversion with the
// conversions b s c d o x e f g % n (upper case variants upper-case the
// result), the flags - # + space 0 , ( and < (previous argument). SQL
// values become Java values first: integers Long, DOUBLE Double, DECIMAL
// BigDecimal, strings String, dates LocalDate, timestamps LocalDateTime
// (DuckDB hands dates and timestamps over alike: a midnight value prints as
// a date), NULL null ("null" for most conversions, false for %b).
func javaFormat(format string, args []driver.Value) (string, error) {
	var out strings.Builder
	next, prev := 0, -1
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			out.WriteByte(c)
			continue
		}
		start := i
		i++
		// argument index
		argIndex := -1
		j := i
		for j < len(format) && format[j] >= '0' && format[j] <= '9' {
			j++
		}
		if j > i && j < len(format) && format[j] == '$' {
			n, _ := strconv.Atoi(format[i:j])
			argIndex = n - 1
			i = j + 1
		}
		var flags string
		for i < len(format) && strings.IndexByte("-#+ 0,(<", format[i]) >= 0 {
			flags += format[i : i+1]
			i++
		}
		width := -1
		j = i
		for j < len(format) && format[j] >= '0' && format[j] <= '9' {
			j++
		}
		if j > i {
			width, _ = strconv.Atoi(format[i:j])
			i = j
		}
		precision := -1
		if i < len(format) && format[i] == '.' {
			j = i + 1
			for j < len(format) && format[j] >= '0' && format[j] <= '9' {
				j++
			}
			if j == i+1 {
				return "", fmt.Errorf("Illegal format precision: %s", format[start:])
			}
			precision, _ = strconv.Atoi(format[i+1 : j])
			i = j
		}
		if i >= len(format) {
			return "", fmt.Errorf("Format specifier '%s'", format[start:])
		}
		conv := format[i]
		spec := format[start : i+1]
		switch conv {
		case '%':
			out.WriteString(pad("%", width, strings.Contains(flags, "-"), false))
			continue
		case 'n':
			out.WriteByte('\n')
			continue
		}
		var arg driver.Value
		switch {
		case strings.Contains(flags, "<"):
			if prev < 0 {
				return "", fmt.Errorf("Format specifier '%s'", spec)
			}
			arg = args[prev]
		case argIndex >= 0:
			if argIndex >= len(args) {
				return "", fmt.Errorf("Format specifier '%s'", spec)
			}
			arg, prev = args[argIndex], argIndex
		default:
			if next >= len(args) {
				return "", fmt.Errorf("Format specifier '%s'", spec)
			}
			arg, prev = args[next], next
			next++
		}
		s, err := formatOne(conv, flags, width, precision, arg, spec)
		if err != nil {
			return "", err
		}
		out.WriteString(s)
	}
	return out.String(), nil
}

func pad(s string, width int, left, zero bool) string {
	n := utf8.RuneCountInString(s)
	if width <= n {
		return s
	}
	fill := strings.Repeat(" ", width-n)
	if left {
		return s + fill
	}
	if zero {
		neg := strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") || strings.HasPrefix(s, " ")
		if neg {
			return s[:1] + strings.Repeat("0", width-n) + s[1:]
		}
		return strings.Repeat("0", width-n) + s
	}
	return fill + s
}

// javaValue converts a driver value to its Java counterpart's kind.
func javaString(v driver.Value) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return javaDouble(x)
	case float32:
		return javaFloat(x)
	case duckdb.Decimal:
		return x.String()
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		s := x.Format("2006-01-02T15:04")
		if x.Second() != 0 || x.Nanosecond() != 0 {
			s += x.Format(":05")
			if ns := x.Nanosecond(); ns != 0 {
				f := fmt.Sprintf("%09d", ns)
				for len(f) > 3 && strings.HasSuffix(f, "000") {
					f = f[:len(f)-3]
				}
				s += "." + f
			}
		}
		return s
	}
	if i, ok := toBigInt(v); ok {
		return i.String()
	}
	return fmt.Sprint(v)
}

func javaFloat(f float32) string {
	s := javaDouble(float64(f))
	if g, err := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64); err == nil {
		s = javaDouble(g)
	}
	return s
}

// toBigInt returns an integer argument as a big.Int.
func toBigInt(v driver.Value) (*big.Int, bool) {
	switch x := v.(type) {
	case int8:
		return big.NewInt(int64(x)), true
	case int16:
		return big.NewInt(int64(x)), true
	case int32:
		return big.NewInt(int64(x)), true
	case int64:
		return big.NewInt(x), true
	case int:
		return big.NewInt(int64(x)), true
	case uint8:
		return big.NewInt(int64(x)), true
	case uint16:
		return big.NewInt(int64(x)), true
	case uint32:
		return big.NewInt(int64(x)), true
	case uint64:
		return new(big.Int).SetUint64(x), true
	case *big.Int:
		return x, true
	}
	return nil, false
}

func javaTypeName(v driver.Value) string {
	switch v.(type) {
	case string:
		return "java.lang.String"
	case bool:
		return "java.lang.Boolean"
	case float64:
		return "java.lang.Double"
	case float32:
		return "java.lang.Float"
	case duckdb.Decimal:
		return "java.math.BigDecimal"
	case time.Time:
		return "java.time.LocalDateTime"
	}
	if _, ok := toBigInt(v); ok {
		return "java.lang.Long"
	}
	return fmt.Sprintf("%T", v)
}

func formatOne(conv byte, flags string, width, precision int, arg driver.Value, spec string) (string, error) {
	upper := conv >= 'A' && conv <= 'Z'
	lc := conv | 0x20
	left := strings.Contains(flags, "-")
	zero := strings.Contains(flags, "0")
	mismatch := func() (string, error) {
		return "", fmt.Errorf("%c != %s", conv, javaTypeName(arg))
	}
	var s string
	switch lc {
	case 'b':
		switch x := arg.(type) {
		case nil:
			s = "false"
		case bool:
			s = strconv.FormatBool(x)
		default:
			s = "true"
		}
		if precision >= 0 && precision < len(s) {
			s = s[:precision]
		}
	case 's':
		s = javaString(arg)
		if precision >= 0 && utf8.RuneCountInString(s) > precision {
			s = string([]rune(s)[:precision])
		}
	case 'c':
		switch x := arg.(type) {
		case nil:
			s = "null"
		default:
			i, ok := toBigInt(x)
			if !ok || !i.IsInt64() || !utf8.ValidRune(rune(i.Int64())) {
				return mismatch()
			}
			s = string(rune(i.Int64()))
		}
	case 'd', 'o', 'x':
		if arg == nil {
			s = "null"
			break
		}
		i, ok := toBigInt(arg)
		if !ok {
			return mismatch()
		}
		switch lc {
		case 'd':
			s = groupDigits(new(big.Int).Abs(i).String(), strings.Contains(flags, ","))
			s = signed(s, i.Sign() < 0, flags)
		default:
			base := 16
			if lc == 'o' {
				base = 8
			}
			u := i
			if i.Sign() < 0 && i.IsInt64() { // Long: two's complement
				u = new(big.Int).SetUint64(uint64(i.Int64()))
			}
			s = u.Text(base)
			if strings.Contains(flags, "#") {
				if base == 16 {
					s = "0x" + s
				} else {
					s = "0" + s
				}
			}
		}
	case 'e', 'f', 'g', 'a':
		if arg == nil {
			s = "null"
			break
		}
		var f float64
		switch x := arg.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		case duckdb.Decimal:
			f = x.Float64()
		default:
			return mismatch()
		}
		if precision < 0 {
			precision = 6
		}
		switch {
		case math.IsNaN(f):
			s = "NaN"
		case math.IsInf(f, 0):
			s = "Infinity"
			if f < 0 {
				s = "-Infinity"
			}
			if f > 0 && strings.Contains(flags, "+") {
				s = "+" + s
			}
		default:
			switch lc {
			case 'e':
				s = strconv.FormatFloat(math.Abs(f), 'e', precision, 64)
			case 'f':
				s = groupDigits(strconv.FormatFloat(math.Abs(f), 'f', precision, 64), strings.Contains(flags, ","))
			case 'g':
				if precision == 0 {
					precision = 1
				}
				a := math.Abs(f)
				if a != 0 && (a < 1e-4 || a >= math.Pow(10, float64(precision))) {
					s = strconv.FormatFloat(a, 'e', precision-1, 64)
				} else {
					r, _ := strconv.ParseFloat(strconv.FormatFloat(a, 'e', precision-1, 64), 64)
					digits := precision - 1 - int(math.Floor(math.Log10(r)))
					if r == 0 {
						digits = precision - 1
					}
					s = groupDigits(strconv.FormatFloat(a, 'f', max(digits, 0), 64), strings.Contains(flags, ","))
				}
			case 'a':
				s = strconv.FormatFloat(math.Abs(f), 'x', -1, 64)
			}
			s = signed(s, math.Signbit(f) && f != 0, flags)
		}
	default:
		return "", fmt.Errorf("Conversion = '%c'", conv)
	}
	if upper {
		s = strings.ToUpper(s)
	}
	return pad(s, width, left, zero && lc != 's' && lc != 'b' && lc != 'c'), nil
}

func signed(s string, neg bool, flags string) string {
	switch {
	case neg && strings.Contains(flags, "("):
		return "(" + s + ")"
	case neg:
		return "-" + s
	case strings.Contains(flags, "+"):
		return "+" + s
	case strings.Contains(flags, " "):
		return " " + s
	}
	return s
}

// groupDigits inserts thousands separators in the integer part of a
// plain number.
func groupDigits(s string, group bool) string {
	if !group {
		return s
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
