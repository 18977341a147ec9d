package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// installTrino adds to the session the Trino (Athena) functions and
// semantics that DuckDB lacks or gives another meaning, so that Athena
// queries run unchanged and return Athena's answers.
//
// How:
//   - SQL macros (CREATE MACRO in the main schema) carry most of it: a
//     macro named like a built-in takes precedence over it and reaches the
//     built-in as system.main.<name>; macros overload by arity and by
//     argument type, and may wrap aggregates. A macro is expanded when the
//     query is bound, so one over built-ins runs at native, vectorized
//     speed.
//   - Go scalar functions (named __trino_*) do what DuckDB's built-ins
//     cannot: Joda and MySQL date formats, Trino's JSON paths, java.net.URI,
//     IP networks, Java's String.format, regexp replacement syntax. The
//     macros call them.
//   - SET integer_division=true, so that / on integers truncates.
//
// Both macros and functions belong to the database, not to the connection:
// DuckDB registers a Go function in its system catalog, so every connection
// of the same database, and every view (a view is bound in the query that
// uses it), sees them; they stay usable after SET
// enable_external_access=false and lock_configuration=true
// (TestTrinoSession). integer_division, being a setting, is the
// connection's own, and must be set before lock_configuration, which OpenDB
// applies last.
//
// What cannot be done with functions is done by RewriteAthena: the
// IPADDRESS type, 2-argument IF, lambdas passed to Trino names, UNNEST of
// arrays of rows into columns.
//
// Known differences that remain:
//   - Timestamps with time zone carry no zone in DuckDB: values print in UTC
//     ("2019-02-06 00:00:38+00" where Trino prints "... 00:00:38.000 UTC"),
//     format_datetime's Z prints +0000, from_unixtime(x, zone) and AT TIME
//     ZONE give the same instant as in UTC. The Go parsers place a time
//     without offset in UTC, the session zone of Athena and of keytrail.
//   - Regular expressions are RE2 (no lookaround, no backreferences), not
//     Java's; a group that did not take part in the match gives an empty string where
//     Trino gives NULL.
//   - Integer division by zero gives NULL (Trino: an error); the array
//     subscript a[i] gives NULL out of range (Trino: an error; element_at
//     behaves as Trino's); CAST(varchar AS JSON) parses the text (Trino
//     makes a JSON string of it).
//   - approx_distinct and approx_percentile are exact.
//   - DuckDB's JSON -> operator binds to json_extract and fails on this
//     macro; ->> and json_extract_string are unchanged.
//   - Not provided: zip_with, map_filter, transform_keys/values and other
//     lambda functions beyond transform, filter, reduce and the *_match
//     ones; the HyperLogLog and digest types; at_timezone/with_timezone.
func installTrino(ctx context.Context, conn *sql.Conn) error {
	if err := registerUDFs(conn, trinoUDFs()); err != nil {
		return err
	}
	stmts := append([]string{"SET integer_division=true"}, trinoMacros()...)
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstWords(q), err)
		}
	}
	return nil
}

// trinoMacros returns the CREATE MACRO statements.
func trinoMacros() []string {
	var m []string
	def := func(name string, overloads ...string) {
		m = append(m, "CREATE OR REPLACE MACRO "+name+strings.Join(overloads, ", "))
	}

	// ---- dates and times
	// The formats common in Athena queries on these logs are read by
	// DuckDB's strptime when the text has their exact shape (strptime is
	// laxer with spaces, which the LIKE rules out); anything it does not
	// read goes to the Go parser, which has the last word.
	def("parse_datetime", "(s, f) AS "+fastParse(jodaFast, "TIMESTAMPTZ",
		"CAST(__trino_parse_datetime(s, f) AS TIMESTAMPTZ)"))
	def("date_parse", "(s, f) AS "+fastParse(mysqlFast, "TIMESTAMP",
		"CAST(__trino_date_parse(s, f) AS TIMESTAMP)"))
	def("format_datetime", "(t, f) AS "+fastFormatting(jodaFastFormat, "__trino_format_datetime(CAST(epoch_us(t) AS VARCHAR), f)"))
	def("date_format", "(t, f) AS "+fastFormatting(mysqlFastFormat, "__trino_date_format(CAST(epoch_us(t) AS VARCHAR), f)"))
	// CloudTrail's eventTime (yyyy-MM-ddTHH:mm:ssZ) is read by DuckDB's
	// cast, which agrees on that form; the rest by the Go parser.
	def("from_iso8601_timestamp", `(s) AS CASE WHEN s LIKE '____-__-__T__:__:__Z' THEN CAST(s AS TIMESTAMPTZ)
		ELSE CAST(__trino_from_iso8601_timestamp(s) AS TIMESTAMPTZ) END`)
	def("from_iso8601_date", "(s) AS CAST(__trino_from_iso8601_date(s) AS DATE)")
	def("to_iso8601",
		"(x DATE) AS strftime(x, '%Y-%m-%d')",
		"(x TIMESTAMP) AS strftime(x, '%Y-%m-%dT%H:%M:%S.%g')",
		"(x TIMESTAMPTZ) AS strftime(timezone('UTC', x), '%Y-%m-%dT%H:%M:%S.%g') || 'Z'")
	// Trino: Math.round(unixtime * 1000) milliseconds, in the session zone
	// (or the given one: a DuckDB TIMESTAMPTZ carries no zone, so the
	// instant is the same and prints in UTC).
	def("from_unixtime",
		"(x) AS to_timestamp(round(CAST(x AS DOUBLE) * 1000) / 1000)",
		"(x, zone) AS to_timestamp(round(CAST(x AS DOUBLE) * 1000) / 1000)",
		"(x, h, mi) AS to_timestamp(round(CAST(x AS DOUBLE) * 1000) / 1000)")
	def("to_unixtime", "(t) AS epoch(t)")
	def("current_timezone", "() AS current_setting('TimeZone')")
	def("date", "(x) AS CAST(x AS DATE)")
	// date_trunc on a DATE stays a DATE in Trino.
	// On a TIMESTAMPTZ, DuckDB truncates in the session zone, which is UTC
	// like Athena's; for units below a day time_bucket gives the same
	// result (UTC-aligned buckets) about three times faster.
	def("date_trunc",
		"(u, x DATE) AS CAST(system.main.date_trunc(u, x) AS DATE)",
		`(u, x TIMESTAMPTZ) AS CASE lower(u)
		WHEN 'hour' THEN time_bucket(INTERVAL 1 HOUR, x) WHEN 'minute' THEN time_bucket(INTERVAL 1 MINUTE, x)
		WHEN 'second' THEN time_bucket(INTERVAL 1 SECOND, x) ELSE system.main.date_trunc(u, x) END`,
		"(u, x TIMESTAMP) AS system.main.date_trunc(u, x)",
		"(u, x) AS system.main.date_trunc(u, x)")
	// Trino's date_diff counts whole units elapsed (Joda's
	// getDifferenceAsLong), which is DuckDB's datesub, not its date_diff
	// (boundaries crossed).
	def("date_diff", "(u, a, b) AS system.main.datesub(u, a, b)")
	def("__trino_interval", `(u, n) AS CASE lower(u)
		WHEN 'millisecond' THEN to_milliseconds(n) WHEN 'second' THEN to_seconds(n)
		WHEN 'minute' THEN to_minutes(n) WHEN 'hour' THEN to_hours(n)
		WHEN 'day' THEN to_days(n) WHEN 'week' THEN to_days(n * 7)
		WHEN 'month' THEN to_months(n) WHEN 'quarter' THEN to_months(n * 3) WHEN 'year' THEN to_years(n)
		ELSE error('''' || lower(u) || ''' is not a valid Timestamp field') END`)
	def("__trino_date_interval", `(u, n) AS CASE lower(u)
		WHEN 'day' THEN to_days(n) WHEN 'week' THEN to_days(n * 7)
		WHEN 'month' THEN to_months(n) WHEN 'quarter' THEN to_months(n * 3) WHEN 'year' THEN to_years(n)
		ELSE error('''' || lower(u) || ''' is not a valid DATE field') END`)
	def("date_add",
		"(u, n, x DATE) AS CAST(x + __trino_date_interval(u, n) AS DATE)",
		"(u, n, x) AS x + __trino_interval(u, n)",
		"(d, i) AS d + i") // DuckDB's own date_add(date, interval)
	def("day_of_week", "(x) AS isodow(x)")
	def("dow", "(x) AS isodow(x)")
	def("day_of_year", "(x) AS dayofyear(x)")
	def("doy", "(x) AS dayofyear(x)")
	def("year_of_week", "(x) AS isoyear(x)")
	def("yow", "(x) AS isoyear(x)")
	def("day_of_month", "(x) AS day(x)")
	def("week_of_year", "(x) AS week(x)")
	def("last_day_of_month", "(x) AS last_day(x)")
	// EXTRACT(field FROM x) is date_part: give Trino's fields their meaning
	// (DOW is ISO, 1 = Monday).
	def("date_part",
		`(p VARCHAR, x) AS CASE lower(p)
		WHEN 'dow' THEN isodow(x) WHEN 'day_of_week' THEN isodow(x)
		WHEN 'doy' THEN dayofyear(x) WHEN 'day_of_year' THEN dayofyear(x)
		WHEN 'yow' THEN isoyear(x) WHEN 'year_of_week' THEN isoyear(x)
		WHEN 'day_of_month' THEN day(x) WHEN 'week_of_year' THEN week(x)
		ELSE system.main.date_part(CASE WHEN lower(p) IN ('dow', 'day_of_week', 'doy', 'day_of_year', 'yow', 'year_of_week', 'day_of_month', 'week_of_year') THEN 'year' ELSE p END, x) END`,
		"(p, x) AS system.main.date_part(p, x)")
	def("to_milliseconds",
		"(x INTERVAL) AS CAST(epoch(x) * 1000 AS BIGINT)",
		"(x) AS system.main.to_milliseconds(x)")

	// ---- strings
	def("replace",
		"(s, x) AS system.main.replace(s, x, '')",
		`(s, x, y) AS CASE WHEN x = '' THEN y || array_to_string(list_transform(string_split(s, ''), lambda c: c || y), '')
		ELSE system.main.replace(s, x, y) END`)
	for _, name := range []string{"substr", "substring"} {
		def(name,
			"(s, st) AS CASE WHEN st = 0 OR (st < 0 AND st < -length(s)) THEN '' ELSE system.main.substring(s, st) END",
			"(s, st, n) AS CASE WHEN st = 0 OR n <= 0 OR (st < 0 AND st < -length(s)) THEN '' ELSE system.main.substring(s, st, n) END")
	}
	def("strpos",
		"(s, x) AS system.main.strpos(s, x)",
		"(s, x, n) AS __trino_strpos(s, x, n)")
	def("split_part", `(s, d, i) AS CASE
		WHEN i <= 0 THEN error('Index must be greater than zero')
		WHEN d = '' THEN CASE WHEN i <= length(s) THEN system.main.substring(s, i, 1) END
		ELSE string_split(s, d)[i] END`)
	def("split",
		"(s, d) AS string_split(s, d)",
		`(s, d, n) AS CASE WHEN n <= 0 THEN error('Limit must be positive')
		WHEN len(string_split(s, d)) <= n THEN string_split(s, d)
		ELSE list_append(string_split(s, d)[1:n - 1], array_to_string(string_split(s, d)[n:], d)) END`)
	concat := make([]string, 0, 32)
	greatest, least := make([]string, 0, 32), make([]string, 0, 32)
	format := make([]string, 0, 33)
	format = append(format, "(f) AS __trino_format(f)")
	for n := 1; n <= 32; n++ {
		args := make([]string, n)
		nulls := make([]string, n)
		for i := range args {
			args[i] = "a" + strconv.Itoa(i+1)
			nulls[i] = args[i] + " IS NULL"
		}
		list := strings.Join(args, ", ")
		concat = append(concat, "("+list+") AS "+strings.Join(args, " || "))
		format = append(format, "(f, "+list+") AS __trino_format(f, "+list+")")
		if n >= 2 {
			cond := strings.Join(nulls, " OR ")
			greatest = append(greatest, "("+list+") AS CASE WHEN "+cond+" THEN NULL ELSE system.main.greatest("+list+") END")
			least = append(least, "("+list+") AS CASE WHEN "+cond+" THEN NULL ELSE system.main.least("+list+") END")
		}
	}
	def("concat", concat...)
	def("greatest", greatest...)
	def("least", least...)
	def("format", format...)
	def("url_decode", "(s) AS __trino_url_decode(s)")
	def("url_encode", "(s) AS __trino_url_encode(s)")
	for _, part := range []string{"host", "path", "query", "fragment", "protocol", "port"} {
		def("url_extract_"+part, "(u) AS __trino_url_extract_"+part+"(u)")
	}
	def("url_extract_parameter", "(u, name) AS __trino_url_extract_parameter(u, name)")
	def("levenshtein_distance", "(a, b) AS levenshtein(a, b)")
	def("hamming_distance", "(a, b) AS hamming(a, b)")
	def("codepoint", "(s) AS unicode(s)")
	def("to_utf8", "(s) AS encode(s)")
	def("from_utf8", "(b) AS decode(b)")

	// ---- regular expressions (RE2 syntax: no lookaround, no backreferences)
	def("regexp_like", "(s, p) AS regexp_matches(s, p)")
	const badGroup = "WHEN g < 0 THEN error('Group cannot be negative') " +
		"WHEN g > __trino_regexp_groups(p) THEN error('Pattern has ' || __trino_regexp_groups(p) || ' groups. Cannot access group ' || g) "
	def("regexp_extract",
		"(s, p) AS CASE WHEN regexp_matches(s, p) THEN system.main.regexp_extract(s, p) END",
		"(s, p, g) AS CASE "+badGroup+"WHEN regexp_matches(s, p) THEN system.main.regexp_extract(s, p, g) END")
	def("regexp_extract_all",
		"(s, p) AS system.main.regexp_extract_all(s, p)",
		"(s, p, g) AS CASE "+badGroup+"ELSE system.main.regexp_extract_all(s, p, g) END")
	def("regexp_replace",
		"(s, p) AS system.main.regexp_replace(s, p, '', 'g')",
		"(s, p, r) AS system.main.regexp_replace(s, p, __trino_regexp_replacement(p, r), 'g')")
	def("regexp_count", "(s, p) AS len(regexp_extract_all(s, p))")
	def("regexp_split", "(s, p) AS regexp_split_to_array(s, p)")

	// ---- JSON
	def("json_extract_scalar", "(j, p) AS __trino_json_extract_scalar(j, p)")
	def("json_extract", "(j, p) AS CAST(__trino_json_extract(j, p) AS JSON)")
	def("json_size", "(j, p) AS __trino_json_size(j, p)")
	def("json_array_length",
		"(j) AS __trino_json_array_length(j)",
		"(j, p) AS system.main.json_array_length(j, p)")
	def("json_array_contains", "(j, v) AS __trino_json_array_contains(j, v)")
	def("json_array_get", "(j, i) AS CAST(__trino_json_array_get(j, i) AS JSON)")
	// json_parse: the text validated and made canonical (no spaces).
	def("json_parse", "(s) AS CASE WHEN json_valid(s) THEN CAST(__trino_json_extract(s, '$') AS JSON) ELSE error('Cannot convert value to JSON: ''' || s || '''') END")
	def("json_format", "(j) AS CAST(j AS VARCHAR)")
	def("is_json_scalar", "(j) AS json_type(CAST(j AS JSON)) NOT IN ('OBJECT', 'ARRAY')")

	// ---- arrays and maps
	def("cardinality",
		"(x MAP(VARCHAR, VARCHAR)) AS CAST(system.main.cardinality(x) AS BIGINT)",
		"(x) AS len(x)")
	def("element_at", `(a, i) AS CASE
		WHEN typeof(a) LIKE '%]' AND CAST(i AS VARCHAR) = '0' THEN error('SQL array indices start at 1')
		ELSE a[i] END`)
	def("contains",
		"(a VARCHAR, b VARCHAR) AS __trino_contains_cidr(a, b)",
		"(a, b) AS system.main.contains(a, b)")
	def("array_join",
		"(a, sep) AS array_to_string(a, sep)",
		"(a, sep, nul) AS array_to_string(list_transform(a, lambda x: coalesce(CAST(x AS VARCHAR), nul)), sep)")
	def("array_position", "(a, x) AS coalesce(list_position(a, x), 0)")
	def("array_max", "(a) AS CASE WHEN list_count(a) < len(a) THEN NULL ELSE list_max(a) END")
	def("array_min", "(a) AS CASE WHEN list_count(a) < len(a) THEN NULL ELSE list_min(a) END")
	def("array_distinct", "(a) AS list_filter(a, lambda x, i: list_position(a, x) = i)")
	def("array_union", "(a, b) AS array_distinct(list_concat(a, b))")
	def("array_except", "(a, b) AS list_filter(array_distinct(a), lambda x: NOT list_contains(b, x))")
	def("array_remove", "(a, x) AS list_filter(a, lambda e: e IS DISTINCT FROM x)")
	def("arrays_overlap", "(a, b) AS list_has_any(a, b)")
	def("slice", `(a, st, n) AS CASE
		WHEN st = 0 THEN error('SQL array indices start at 1')
		WHEN n < 0 THEN error('length must be greater than or equal to 0')
		WHEN st > 0 THEN list_slice(a, st, st + n - 1)
		WHEN -st > len(a) THEN list_slice(a, 2, 1)
		ELSE list_slice(a, len(a) + st + 1, len(a) + st + n) END`)
	def("sequence",
		"(a DATE, b DATE) AS CAST(generate_series(a, b, INTERVAL 1 DAY) AS DATE[])",
		"(a, b) AS generate_series(a, b)",
		"(a, b, step) AS generate_series(a, b, step)")

	// ---- aggregates
	// approx_distinct: the exact count, which is what Trino's HyperLogLog
	// returns for small sets (DuckDB's estimate is off even for ten values).
	def("approx_distinct", "(x) AS count(DISTINCT x)", "(x, e) AS count(DISTINCT x)")
	// approx_percentile: exact percentiles; Trino's digests return a value
	// of the input for integers and interpolate for doubles.
	def("approx_percentile",
		"(x BIGINT, p) AS quantile_disc(x, p)",
		"(x DOUBLE, p) AS quantile_cont(x, p)",
		"(x, p) AS quantile_disc(x, p)")
	// map_agg: one entry per key (Trino keeps an arbitrary one of
	// duplicates: here, the one with the smallest value); NULL keys are
	// skipped.
	const entries = "(list({'key': k, 'value': v} ORDER BY k, v) FILTER (WHERE k IS NOT NULL))"
	def("map_agg", "(k, v) AS map_from_entries(list_filter("+entries+", lambda e, i: i = 1 OR "+entries+"[i - 1].key IS DISTINCT FROM e.key))")
	def("every", "(x) AS bool_and(x)")

	// ---- numbers
	def("truncate", "(x) AS trunc(x)", "(x, n) AS trunc(x * pow(10, n)) / pow(10, n)")
	def("is_nan", "(x) AS isnan(x)")
	def("is_finite", "(x) AS isfinite(x)")
	def("is_infinite", "(x) AS isinf(x)")
	def("nan", "() AS CAST('NaN' AS DOUBLE)")
	def("infinity", "() AS CAST('Infinity' AS DOUBLE)")
	def("rand", "() AS random()")
	def("bitwise_and", "(a, b) AS a & b")
	def("bitwise_or", "(a, b) AS a | b")
	def("bitwise_xor", "(a, b) AS xor(a, b)")
	def("bitwise_not", "(a) AS ~a")

	// ---- IP addresses (strings in canonical form; see trino_ip.go)
	def("ipaddress", "(s) AS __trino_ipaddress(s)")
	def("try_ipaddress", "(s) AS __trino_try_ipaddress(s)")
	def("ipprefix", "(s) AS __trino_ipprefix(s)")
	def("try_ipprefix", "(s) AS __trino_try_ipprefix(s)")
	def("is_subnet_of", "(p, x) AS __trino_is_subnet_of(p, x)")
	def("ip_prefix", "(a, n) AS __trino_ip_prefix(a, n)")
	def("ip_subnet_min", "(p) AS __trino_ip_subnet_min(p)")
	def("ip_subnet_max", "(p) AS __trino_ip_subnet_max(p)")
	return m
}

// fastFormat is a format that strptime reads as Trino does, for text of
// the given LIKE shape.
type fastFormat struct{ pattern, shape, strptime string }

var (
	jodaFast = []fastFormat{
		{"dd/MMM/yyyy:HH:mm:ss Z", "__/___/____:__:__:__ _____", "%d/%b/%Y:%H:%M:%S %z"},
		{"yyyy-MM-dd:HH:mm:ss", "____-__-__:__:__:__", "%Y-%m-%d:%H:%M:%S"},
		{"yyyy-MM-dd HH:mm:ss", "____-__-__ __:__:__", "%Y-%m-%d %H:%M:%S"},
		{"yyyy-MM-dd'T'HH:mm:ss'Z'", "____-__-__T__:__:__Z", "%Y-%m-%dT%H:%M:%SZ"},
		{"yyyy-MM-dd", "____-__-__", "%Y-%m-%d"},
		{"yyyy/MM/dd", "____/__/__", "%Y/%m/%d"},
	}
	mysqlFast = []fastFormat{
		{"%Y-%m-%dT%H:%i:%sZ", "____-__-__T__:__:__Z", "%Y-%m-%dT%H:%M:%SZ"},
		{"%Y-%m-%d %H:%i:%s", "____-__-__ __:__:__", "%Y-%m-%d %H:%M:%S"},
		{"%Y-%m-%d", "____-__-__", "%Y-%m-%d"},
		{"%Y/%m/%d", "____/__/__", "%Y/%m/%d"},
		{"%d/%b/%Y:%H:%i:%s", "__/___/____:__:__:__", "%d/%b/%Y:%H:%M:%S"},
	}
)

// Formats that DuckDB's strftime prints as Trino does (numbers only, in
// the session zone, UTC).
var (
	jodaFastFormat = map[string]string{
		"yyyy-MM-dd": "%Y-%m-%d", "yyyy-MM-dd HH:mm:ss": "%Y-%m-%d %H:%M:%S", "yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M",
		"yyyy-MM-dd HH": "%Y-%m-%d %H", "yyyy-MM": "%Y-%m", "yyyy/MM/dd": "%Y/%m/%d", "HH": "%H",
	}
	mysqlFastFormat = map[string]string{
		"%Y-%m-%d": "%Y-%m-%d", "%Y-%m-%d %H:%i:%s": "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%i": "%Y-%m-%d %H:%M",
		"%Y-%m-%d %H": "%Y-%m-%d %H", "%Y-%m-%d %H:00": "%Y-%m-%d %H:00", "%Y-%m": "%Y-%m", "%Y/%m/%d": "%Y/%m/%d", "%H": "%H",
	}
)

// fastFormatting builds the body of a formatting macro: the fast formats,
// then the Go printer.
func fastFormatting(fast map[string]string, slow string) string {
	keys := make([]string, 0, len(fast))
	for k := range fast {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("CASE f")
	for _, k := range keys {
		fmt.Fprintf(&b, " WHEN %s THEN strftime(t, %s)", quote(k), quote(fast[k]))
	}
	b.WriteString(" ELSE " + slow + " END")
	return b.String()
}

// fastParse builds the body of a parsing macro: the fast formats, then
// the Go parser.
func fastParse(fast []fastFormat, typ, slow string) string {
	var b strings.Builder
	b.WriteString("CASE f")
	for _, f := range fast {
		fmt.Fprintf(&b, " WHEN %s THEN coalesce(CAST(CASE WHEN s LIKE %s THEN try_strptime(s, %s) END AS %s), %s)",
			quote(f.pattern), quote(f.shape), quote(f.strptime), typ, slow)
	}
	b.WriteString(" ELSE " + slow + " END")
	return b.String()
}

var (
	tsFormats    cache[*timeFormat] // Joda patterns
	mysqlFormats cache[*timeFormat] // MySQL formats
	regexps      cache[*syntax.Regexp]
	replacements cache[string]
)

// timestampText writes microseconds since the epoch as DuckDB timestamp
// text (with +00 when zone is set), for the macros to cast.
func timestampText(us int64, zone bool, buf *[]byte) (strResult, error) {
	days, rem := floorDiv(us, 86_400_000_000), floorMod(us, 86_400_000_000)
	y, m, d := civilFromDays(days)
	if y < 1 || y > 9999 {
		return strResult{}, fmt.Errorf("year %d is out of range", y)
	}
	b := appendPadded((*buf)[:0], int64(y), 4)
	b = append(b, '-')
	b = appendPadded(b, int64(m), 2)
	b = append(b, '-')
	b = appendPadded(b, int64(d), 2)
	b = append(b, ' ')
	b = appendPadded(b, rem/3_600_000_000, 2)
	b = append(b, ':')
	b = appendPadded(b, rem/60_000_000%60, 2)
	b = append(b, ':')
	b = appendPadded(b, rem/1_000_000%60, 2)
	b = append(b, '.')
	b = appendPadded(b, rem%1_000_000, 6)
	if zone {
		b = append(b, "+00"...)
	}
	*buf = b
	return strResult{s: bytesString(b)}, nil
}

// trinoUDFs returns the Go functions by name.
func trinoUDFs() map[string][]*udf {
	V, B, D, Bo := duckdb.TYPE_VARCHAR, duckdb.TYPE_BIGINT, duckdb.TYPE_DOUBLE, duckdb.TYPE_BOOLEAN
	fns := map[string][]*udf{}
	add := func(name string, f *udf) { fns[name] = append(fns[name], f) }

	// The date and time functions pass timestamps as text, so that they
	// run on the string fast path (no Go value per row): a parse returns
	// DuckDB's own timestamp text, which the macro casts; a format takes
	// the microseconds since the epoch.
	parse := func(c *cache[*timeFormat], compile func(string) (*timeFormat, error), zone bool) *udf {
		return stringUDF(2, func() strFn {
			var l last[*timeFormat]
			return func(args []string, buf *[]byte) (strResult, error) {
				f, err := l.get(c, args[1], compile)
				if err != nil {
					return strResult{}, err
				}
				us, err := f.parseTime(args[0])
				if err != nil {
					return strResult{}, err
				}
				return timestampText(us, zone, buf)
			}
		})
	}
	add("__trino_parse_datetime", parse(&tsFormats, compileJoda, true))
	add("__trino_date_parse", parse(&mysqlFormats, compileMySQL, false))
	format := func(c *cache[*timeFormat], compile func(string) (*timeFormat, error)) *udf {
		return stringUDF(2, func() strFn {
			var l last[*timeFormat]
			return func(args []string, buf *[]byte) (strResult, error) {
				f, err := l.get(c, args[1], compile)
				if err != nil {
					return strResult{}, err
				}
				us, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return strResult{}, err
				}
				*buf = f.appendTime((*buf)[:0], us)
				return strResult{s: bytesString(*buf)}, nil
			}
		})
	}
	add("__trino_format_datetime", format(&tsFormats, compileJoda))
	add("__trino_date_format", format(&mysqlFormats, compileMySQL))
	add("__trino_from_iso8601_timestamp", stringUDF(1, func() strFn {
		return func(args []string, buf *[]byte) (strResult, error) {
			us, err := parseISOTimestamp(args[0])
			if err != nil {
				return strResult{}, err
			}
			return timestampText(us, true, buf)
		}
	}))
	add("__trino_from_iso8601_date", stringUDF(1, func() strFn {
		return func(args []string, buf *[]byte) (strResult, error) {
			days, err := parseISODate(args[0])
			if err != nil {
				return strResult{}, err
			}
			y, m, d := civilFromDays(days)
			if y < 1 || y > 9999 {
				return strResult{}, fmt.Errorf("year %d is out of range", y)
			}
			b := appendPadded((*buf)[:0], int64(y), 4)
			b = append(b, '-')
			b = appendPadded(b, int64(m), 2)
			b = append(b, '-')
			b = appendPadded(b, int64(d), 2)
			*buf = b
			return strResult{s: bytesString(b)}, nil
		}
	}))

	// JSON
	jsonPathFn := func(extract func(doc string, p *jsonPath, buf *[]byte) strResult) *udf {
		return stringUDF(2, func() strFn {
			var l last[*jsonPath]
			return func(args []string, buf *[]byte) (strResult, error) {
				p, err := l.get(&jsonPaths, args[1], compileJSONPath)
				if err != nil {
					return strResult{}, err
				}
				return extract(args[0], p, buf), nil
			}
		})
	}
	add("__trino_json_extract_scalar", jsonPathFn(extractScalar))
	add("__trino_json_extract", jsonPathFn(extractJSON))
	add("__trino_json_size", valueUDF([]duckdb.Type{V, V}, B, false, func() rowFn {
		var l last[*jsonPath]
		return func(args []driver.Value) (any, error) {
			p, err := l.get(&jsonPaths, args[1].(string), compileJSONPath)
			if err != nil {
				return nil, err
			}
			if n, ok := jsonSize(args[0].(string), p); ok {
				return n, nil
			}
			return nil, nil
		}
	}))
	add("__trino_json_array_length", valueUDF([]duckdb.Type{V}, B, false, func() rowFn {
		return func(args []driver.Value) (any, error) {
			if n, ok := jsonArrayLength(args[0].(string)); ok {
				return n, nil
			}
			return nil, nil
		}
	}))
	for _, t := range []duckdb.Type{Bo, B, D, V} {
		add("__trino_json_array_contains", valueUDF([]duckdb.Type{V, t}, Bo, false, func() rowFn {
			return func(args []driver.Value) (any, error) { return jsonArrayContains(args[0].(string), args[1]), nil }
		}))
	}
	add("__trino_json_array_get", valueUDF([]duckdb.Type{V, B}, duckdb.TYPE_VARCHAR, false, func() rowFn {
		return func(args []driver.Value) (any, error) { return jsonArrayGet(args[0].(string), args[1].(int64)), nil }
	}))

	// URLs
	urlPart := func(part func(u *uri) string) *udf {
		return stringUDF(1, func() strFn {
			return func(args []string, _ *[]byte) (strResult, error) {
				u, err := parseURI(args[0])
				if err != nil {
					return strResult{null: true}, nil
				}
				return strResult{s: part(u)}, nil
			}
		})
	}
	add("__trino_url_extract_host", urlPart(func(u *uri) string { return u.host }))
	add("__trino_url_extract_path", urlPart(func(u *uri) string { return u.path }))
	add("__trino_url_extract_query", urlPart(func(u *uri) string { return u.query }))
	add("__trino_url_extract_fragment", urlPart(func(u *uri) string { return u.fragment }))
	add("__trino_url_extract_protocol", urlPart(func(u *uri) string { return u.scheme }))
	add("__trino_url_extract_port", valueUDF([]duckdb.Type{V}, B, false, func() rowFn {
		return func(args []driver.Value) (any, error) {
			u, err := parseURI(args[0].(string))
			if err != nil || u.port < 0 {
				return nil, nil
			}
			return int64(u.port), nil
		}
	}))
	add("__trino_url_extract_parameter", stringUDF(2, func() strFn {
		return func(args []string, buf *[]byte) (strResult, error) {
			u, err := parseURI(args[0])
			if err != nil {
				return strResult{null: true}, nil
			}
			return urlParameter(u, args[1], buf)
		}
	}))
	add("__trino_url_decode", stringUDF(1, func() strFn {
		return func(args []string, buf *[]byte) (strResult, error) {
			s, err := urlDecode(args[0], buf)
			return strResult{s: s}, err
		}
	}))
	add("__trino_url_encode", stringUDF(1, func() strFn {
		return func(args []string, buf *[]byte) (strResult, error) {
			return strResult{s: urlEncode(args[0], buf)}, nil
		}
	}))

	// strings and regular expressions
	add("__trino_strpos", valueUDF([]duckdb.Type{V, V, B}, B, false, func() rowFn {
		return func(args []driver.Value) (any, error) {
			return strposN(args[0].(string), args[1].(string), args[2].(int64))
		}
	}))
	add("__trino_regexp_replacement", stringUDF(2, func() strFn {
		return func(args []string, _ *[]byte) (strResult, error) {
			key := args[0] + "\x00" + args[1]
			r, err := replacements.get(key, func(string) (string, error) { return regexpReplacement(args[0], args[1]) })
			return strResult{s: r}, err
		}
	}))
	add("__trino_regexp_groups", valueUDF([]duckdb.Type{V}, B, false, func() rowFn {
		return func(args []driver.Value) (any, error) {
			re, err := regexps.get(args[0].(string), parseRE)
			if err != nil {
				return nil, err
			}
			return int64(re.MaxCap()), nil
		}
	}))
	add("__trino_format", variadicUDF([]duckdb.Type{V}, V, func() rowFn {
		return func(args []driver.Value) (any, error) {
			if args[0] == nil {
				return nil, nil
			}
			return javaFormat(args[0].(string), args[1:])
		}
	}))

	// IP addresses
	add("__trino_contains_cidr", valueUDF([]duckdb.Type{V, V}, Bo, false, func() rowFn {
		return func(args []driver.Value) (any, error) { return cidrContains(args[0].(string), args[1].(string)) }
	}))
	ipFn := func(try bool, canon func(string) (string, error)) *udf {
		return stringUDF(1, func() strFn {
			return func(args []string, _ *[]byte) (strResult, error) {
				s, err := canon(args[0])
				if err != nil {
					if try {
						return strResult{null: true}, nil
					}
					return strResult{}, err
				}
				return strResult{s: s}, nil
			}
		})
	}
	canonIP := func(s string) (string, error) {
		a, err := parseIP(s)
		if err != nil {
			return "", err
		}
		return a.String(), nil
	}
	canonPrefix := func(s string) (string, error) {
		p, err := parsePrefix(s)
		if err != nil {
			return "", err
		}
		return p.String(), nil
	}
	add("__trino_ipaddress", ipFn(false, canonIP))
	add("__trino_try_ipaddress", ipFn(true, canonIP))
	add("__trino_ipprefix", ipFn(false, canonPrefix))
	add("__trino_try_ipprefix", ipFn(true, canonPrefix))
	add("__trino_ip_subnet_min", ipFn(false, func(s string) (string, error) {
		p, err := parsePrefix(s)
		if err != nil {
			return "", err
		}
		return p.Addr().String(), nil
	}))
	add("__trino_ip_subnet_max", ipFn(false, func(s string) (string, error) {
		p, err := parsePrefix(s)
		if err != nil {
			return "", err
		}
		return subnetMax(p).String(), nil
	}))
	add("__trino_is_subnet_of", valueUDF([]duckdb.Type{V, V}, Bo, false, func() rowFn {
		return func(args []driver.Value) (any, error) { return isSubnetOf(args[0].(string), args[1].(string)) }
	}))
	add("__trino_ip_prefix", valueUDF([]duckdb.Type{V, B}, V, false, func() rowFn {
		return func(args []driver.Value) (any, error) { return ipPrefix(args[0].(string), args[1].(int64)) }
	}))
	return fns
}

// strposN implements strpos(string, substring, instance): the position (in
// code points) of the instance-th occurrence, counted from the end when
// instance is negative; 0 when there is none.
func strposN(s, sub string, n int64) (any, error) {
	if n == 0 {
		return nil, fmt.Errorf("'instance' must be a positive or negative number.")
	}
	if sub == "" {
		return int64(1), nil
	}
	idx := -1
	if n > 0 {
		from := 0
		for k := int64(0); k < n; k++ {
			i := strings.Index(s[from:], sub)
			if i < 0 {
				return int64(0), nil
			}
			idx = from + i
			from = idx + 1
		}
	} else {
		end := len(s)
		for k := int64(0); k < -n; k++ {
			i := strings.LastIndex(s[:end], sub)
			if i < 0 {
				return int64(0), nil
			}
			idx = i
			end = idx + len(sub) - 1
			if end < 0 {
				end = 0
			}
		}
	}
	return int64(len([]rune(s[:idx])) + 1), nil
}

func parseRE(p string) (*syntax.Regexp, error) {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %v", err)
	}
	return re, nil
}

// regexpReplacement translates a Trino (Java) replacement string to DuckDB's
// (RE2): $n and ${name} are groups, \x is the character x.
func regexpReplacement(pattern, r string) (string, error) {
	re, err := regexps.get(pattern, parseRE)
	if err != nil {
		return "", err
	}
	groups := re.MaxCap() + 1 // with group 0
	var b strings.Builder
	illegal := func() error { return fmt.Errorf("Illegal replacement sequence: %s", r) }
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch c {
		case '$':
			i++
			if i == len(r) {
				return "", illegal()
			}
			var g int
			if r[i] == '{' {
				end := strings.IndexByte(r[i:], '}')
				if end < 0 {
					return "", illegal()
				}
				name := r[i+1 : i+end]
				g = -1
				for k, n := range re.CapNames() {
					if n == name {
						g = k
						break
					}
				}
				if g < 0 {
					return "", fmt.Errorf("Illegal replacement sequence: unknown group { %s }", name)
				}
				i += end
			} else {
				if r[i] < '0' || r[i] > '9' {
					return "", illegal()
				}
				g = int(r[i] - '0')
				if g >= groups {
					return "", fmt.Errorf("Illegal replacement sequence: unknown group %d", g)
				}
				for i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9' && g*10+int(r[i+1]-'0') < groups {
					g = g*10 + int(r[i+1]-'0')
					i++
				}
			}
			if g > 9 {
				return "", fmt.Errorf("group %d: replacements may refer to groups 0 to 9 only", g)
			}
			b.WriteByte('\\')
			b.WriteByte(byte('0' + g))
		case '\\':
			i++
			if i == len(r) {
				return "", illegal()
			}
			if r[i] == '\\' {
				b.WriteString(`\\`)
			} else {
				b.WriteByte(r[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// jsonArrayContains implements json_array_contains(json, value): whether
// the array has an element of the value's type equal to it; NULL when the
// text is not an array.
func jsonArrayContains(doc string, v driver.Value) any {
	j := jsonScan{s: doc}
	if j.peek() != '[' {
		return nil
	}
	j.pos++
	if j.peek() == ']' {
		return false
	}
	found := false
	for {
		start := j.peek()
		pos := j.pos
		switch x := v.(type) {
		case bool:
			if start == 't' || start == 'f' {
				if !j.skip() {
					return nil
				}
				found = found || (j.s[pos:j.pos] == "true") == x
				break
			}
			if !j.skip() {
				return nil
			}
		case int64:
			if start == '-' || start >= '0' && start <= '9' {
				text, isInt, ok := j.number()
				if !ok {
					return nil
				}
				if isInt {
					n, err := strconv.ParseInt(text, 10, 64)
					found = found || err == nil && n == x
				}
				break
			}
			if !j.skip() {
				return nil
			}
		case float64:
			if start == '-' || start >= '0' && start <= '9' {
				text, isInt, ok := j.number()
				if !ok {
					return nil
				}
				if !isInt && !math.IsInf(x, 0) && !math.IsNaN(x) {
					f, err := strconv.ParseFloat(text, 64)
					found = found || err == nil && f == x
				}
				break
			}
			if !j.skip() {
				return nil
			}
		case string:
			if start == '"' {
				raw, escaped, ok := j.str(true)
				if !ok {
					return nil
				}
				if escaped {
					raw = string(j.buf)
				}
				found = found || raw == x
				break
			}
			if !j.skip() {
				return nil
			}
		}
		if found {
			return true
		}
		switch j.peek() {
		case ',':
			j.pos++
		case ']':
			return false
		default:
			return nil
		}
	}
}

// jsonArrayGet implements json_array_get(json, index): the element (from
// the end when the index is negative) as JSON text, NULL when there is none.
func jsonArrayGet(doc string, idx int64) any {
	j := jsonScan{s: doc}
	if j.peek() != '[' {
		return nil
	}
	if idx < 0 {
		n, ok := jsonArrayLength(doc)
		if !ok || -idx > n {
			return nil
		}
		idx += n
	}
	if idx > math.MaxInt32 {
		return nil
	}
	p := &jsonPath{steps: []string{strconv.FormatInt(idx, 10)}, index: []int{int(idx)}}
	var buf []byte
	r := extractJSON(doc, p, &buf)
	if r.null {
		return nil
	}
	return r.s
}
