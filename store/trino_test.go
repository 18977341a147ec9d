package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// The expected values below are Trino's (Athena engine 3) answers, taken
// from the Trino documentation (trino.io/docs/current/functions/*.html)
// where it gives an example, and otherwise from the semantics it documents
// and the behaviour of the libraries Trino calls (Joda-Time for
// parse_datetime and date_parse, Jackson for JSON, java.net.URI for URLs,
// java.lang.String.format for format). Values are compared as DuckDB
// prints them (CAST(... AS VARCHAR)): a timestamp with time zone prints as
// "2019-02-06 00:00:38+00" where Trino prints "2019-02-06 00:00:38.000
// UTC"; to_iso8601 gives Trino's own text where that matters.

// trinoConn opens an in-memory DuckDB session set up as OpenDB sets it up.
func trinoConn(t testing.TB) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		db.Close()
		connector.Close()
	})
	if err := installTrino(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "SET TimeZone='UTC'"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// null is the expected value NULL; errContaining an expected error.
type errContaining string

var null = struct{}{}

type trinoCase struct {
	expr string
	want any // a string (the value as VARCHAR), null, or errContaining
}

func runTrinoCases(t *testing.T, conn *sql.Conn, cases []trinoCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			var got sql.NullString
			err := conn.QueryRowContext(context.Background(), RewriteAthena("SELECT CAST(("+c.expr+") AS VARCHAR)")).Scan(&got)
			switch want := c.want.(type) {
			case errContaining:
				if err == nil || !strings.Contains(err.Error(), string(want)) {
					t.Fatalf("got %v, %v; want an error containing %q", got, err, want)
				}
			case string:
				if err != nil {
					t.Fatal(err)
				}
				if !got.Valid || got.String != want {
					t.Fatalf("got %v, want %q", nullString(got), want)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if got.Valid {
					t.Fatalf("got %q, want NULL", got.String)
				}
			}
		})
	}
}

func nullString(s sql.NullString) string {
	if !s.Valid {
		return "NULL"
	}
	return fmt.Sprintf("%q", s.String)
}

func TestTrinoParseDatetime(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// parse_datetime(string, format) → timestamp with time zone: "Parses
		// string into a timestamp with time zone using format" (Joda-Time).
		// The two seed queries' functions:
		{"parse_datetime('06/Feb/2019:00:00:38 +0000','dd/MMM/yyyy:HH:mm:ss Z')", "2019-02-06 00:00:38+00"},
		{"to_iso8601(parse_datetime('06/Feb/2019:00:00:38 +0000','dd/MMM/yyyy:HH:mm:ss Z'))", "2019-02-06T00:00:38.000Z"},
		{"parse_datetime('2022-04-23:00:00:00','yyyy-MM-dd:HH:mm:ss')", "2022-04-23 00:00:00+00"},
		{"parse_datetime('24/Apr/2022:10:11:12 +0000','dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2022-04-23:00:00:00','yyyy-MM-dd:HH:mm:ss') AND parse_datetime('2022-04-25:00:00:00','yyyy-MM-dd:HH:mm:ss')", "true"},
		{"parse_datetime('26/Apr/2022:10:11:12 +0000','dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2022-04-23:00:00:00','yyyy-MM-dd:HH:mm:ss') AND parse_datetime('2022-04-25:00:00:00','yyyy-MM-dd:HH:mm:ss')", "false"},
		// The offset places the time; without one, the session zone (UTC).
		{"parse_datetime('06/Feb/2019:00:00:38 -0800','dd/MMM/yyyy:HH:mm:ss Z')", "2019-02-06 08:00:38+00"},
		{"parse_datetime('2019-02-06 10:30:00 +05:30', 'yyyy-MM-dd HH:mm:ss ZZ')", "2019-02-06 05:00:00+00"},
		// Joda's Z also reads "Z" for UTC; strptime does not (Go path).
		{"parse_datetime('06/Feb/2019:00:00:38 Z','dd/MMM/yyyy:HH:mm:ss Z')", "2019-02-06 00:00:38+00"},
		{"parse_datetime('2019-02-06T10:00:00Z', 'yyyy-MM-dd''T''HH:mm:ssZ')", "2019-02-06 10:00:00+00"},
		{"parse_datetime('2019-02-06T10:00:00Z', 'yyyy-MM-dd''T''HH:mm:ss''Z''')", "2019-02-06 10:00:00+00"},
		// Texts: the short or the long name, in its own, lower or upper case.
		{"parse_datetime('06/February/2019', 'dd/MMM/yyyy')", "2019-02-06 00:00:00+00"},
		{"parse_datetime('06/FEB/2019', 'dd/MMM/yyyy')", "2019-02-06 00:00:00+00"},
		{"parse_datetime('06/fEb/2019', 'dd/MMM/yyyy')", errContaining("Invalid format")},
		{"parse_datetime('Wed 2019-02-06', 'EEE yyyy-MM-dd')", "2019-02-06 00:00:00+00"},
		// Numbers: up to the field's width, fewer digits allowed.
		{"parse_datetime('6/2/2019 7:5:3', 'd/M/yyyy H:m:s')", "2019-02-06 07:05:03+00"},
		{"parse_datetime('20190206', 'yyyyMMdd')", "2019-02-06 00:00:00+00"},
		// Milliseconds are kept, finer digits dropped (timestamp(3)).
		{"parse_datetime('2019-02-06 10:00:00.123', 'yyyy-MM-dd HH:mm:ss.SSS')", "2019-02-06 10:00:00.123+00"},
		{"parse_datetime('2019-02-06 10:00:00.5', 'yyyy-MM-dd HH:mm:ss.SSS')", "2019-02-06 10:00:00.5+00"},
		// 12-hour clock.
		{"parse_datetime('2019-02-06 03:04 PM', 'yyyy-MM-dd hh:mm a')", "2019-02-06 15:04:00+00"},
		{"parse_datetime('2019-02-06 12:04 am', 'yyyy-MM-dd hh:mm a')", "2019-02-06 00:04:00+00"},
		// Missing fields default to 1970-01-01 00:00, the year to 2000 when
		// the pattern starts with a month or day.
		{"parse_datetime('10:30', 'HH:mm')", "1970-01-01 10:30:00+00"},
		{"parse_datetime('Feb 29', 'MMM dd')", "2000-02-29 00:00:00+00"},
		// Two-digit years: a 100-year window around 30 years ago; a longer
		// year is read whole.
		{"parse_datetime('19-02-06', 'yy-MM-dd')", "2019-02-06 00:00:00+00"},
		{"parse_datetime('2019-02-06', 'yy-MM-dd')", "2019-02-06 00:00:00+00"},
		// Literal text in quotes matches case-insensitively.
		{"parse_datetime('day 6 of 2019-02', '''day'' d ''of'' yyyy-MM')", "2019-02-06 00:00:00+00"},
		// Errors, as Trino raises them.
		{"parse_datetime('2019-02-30', 'yyyy-MM-dd')", errContaining("Value 30 for dayOfMonth must be in the range [1,28]")},
		{"parse_datetime('2019-02-06x', 'yyyy-MM-dd')", errContaining(`is malformed at "x"`)},
		{"parse_datetime('2019-02', 'yyyy-MM-dd')", errContaining("too short")},
		{"parse_datetime(' 06/Feb/2019:00:00:38 +0000','dd/MMM/yyyy:HH:mm:ss Z')", errContaining("Invalid format")},
		{"parse_datetime('2019', 'yyyy qq')", errContaining("Illegal pattern component: q")},
		{"try(parse_datetime('junk', 'yyyy'))", null},
		{"parse_datetime(NULL, 'yyyy')", null},
		{"typeof(parse_datetime('2019', 'yyyy'))", "TIMESTAMP WITH TIME ZONE"},
	})
}

func TestTrinoDateParseFormat(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// date_parse(string, format) → timestamp(3), MySQL format
		// (docs: date_parse('2022/10/20/05', '%Y/%m/%d/%H') → 2022-10-20 05:00:00.000).
		{"date_parse('2022/10/20/05', '%Y/%m/%d/%H')", "2022-10-20 05:00:00"},
		{"typeof(date_parse('2022/10/20/05', '%Y/%m/%d/%H'))", "TIMESTAMP"},
		{"date_parse('2019-02-06T10:30:05Z', '%Y-%m-%dT%H:%i:%sZ')", "2019-02-06 10:30:05"},
		{"date_parse('2019-02-06 10:30:05', '%Y-%m-%d %H:%i:%s')", "2019-02-06 10:30:05"},
		{"date_parse('06/Feb/2019:00:00:38', '%d/%b/%Y:%H:%i:%s')", "2019-02-06 00:00:38"},
		{"date_parse('2019-02-06 10:30:05.123456', '%Y-%m-%d %H:%i:%s.%f')", "2019-02-06 10:30:05.123"},
		{"date_parse('02/06/19 03:04:05 PM', '%m/%d/%y %r')", "2019-02-06 15:04:05"},
		{"date_parse('70', '%y')", "1970-01-01 00:00:00"},
		{"date_parse('69', '%y')", "2069-01-01 00:00:00"},
		{"date_parse('2019 037', '%Y %j')", "2019-02-06 00:00:00"},
		{"date_parse('February 6 2019 3:04', '%M %e %Y %k:%i')", "2019-02-06 03:04:00"},
		{"date_parse('2019-13-01', '%Y-%m-%d')", errContaining("Value 13 for monthOfYear")},
		{"date_parse('x', '%D')", errContaining("%D not supported in date format string")},
		// date_format(timestamp, format) → varchar
		// (docs: date_format(TIMESTAMP '2022-10-20 05:10:00', '%m-%d-%Y %H') → '10-20-2022 05').
		{"date_format(TIMESTAMP '2022-10-20 05:10:00', '%m-%d-%Y %H')", "10-20-2022 05"},
		{"date_format(TIMESTAMP '2019-02-06 15:04:05.123', '%Y-%m-%d %H:%i:%s')", "2019-02-06 15:04:05"},
		{"date_format(TIMESTAMP '2019-02-06 15:04:05.123', '%a %b %e %l:%i %p')", "Wed Feb 6 3:04 PM"},
		{"date_format(TIMESTAMP '2019-02-06 15:04:05.123', '%W %M %j')", "Wednesday February 037"},
		{"date_format(TIMESTAMP '2019-02-06 15:04:05.123', '%f|%T|%r|%c/%e/%y|%x-%v|%%')", "123000|15:04:05|03:04:05 PM|2/6/19|2019-06|%"},
		{"date_format(from_iso8601_timestamp('2019-02-06T15:04:05Z'), '%Y-%m-%d %H')", "2019-02-06 15"},
		{"date_format(DATE '2019-02-06', '%Y/%m/%d')", "2019/02/06"},
		{"date_format(TIMESTAMP '2019-02-06 15:04:05', '%w')", errContaining("%w not supported")},
		// format_datetime(timestamp, format) → varchar, Joda pattern.
		{"format_datetime(TIMESTAMP '2019-02-06 15:04:05.123', 'yyyy-MM-dd HH:mm:ss.SSS')", "2019-02-06 15:04:05.123"},
		{"format_datetime(from_iso8601_timestamp('2019-02-06T15:04:05Z'), 'EEE, dd MMM yyyy HH:mm:ss Z')", "Wed, 06 Feb 2019 15:04:05 +0000"},
		{"format_datetime(TIMESTAMP '2019-02-06 15:04:05', 'h:mm a|EEEE MMMM d|D w xxxx|ZZ|ZZZ|yy')", "3:04 PM|Wednesday February 6|37 6 2019|+00:00|UTC|19"},
	})
}

func TestTrinoISO8601AndUnixtime(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// from_iso8601_timestamp(string) → timestamp(3) with time zone.
		{"from_iso8601_timestamp('2019-02-06T15:04:05Z')", "2019-02-06 15:04:05+00"},
		{"to_iso8601(from_iso8601_timestamp('2019-02-06T15:04:05Z'))", "2019-02-06T15:04:05.000Z"},
		{"from_iso8601_timestamp('2019-02-06T15:04:05.123+05:30')", "2019-02-06 09:34:05.123+00"},
		{"from_iso8601_timestamp('2019-02-06T15:04:05+0530')", "2019-02-06 09:34:05+00"},
		{"from_iso8601_timestamp('2019-02-06T15')", "2019-02-06 15:00:00+00"},
		{"from_iso8601_timestamp('2019-02-06')", "2019-02-06 00:00:00+00"},
		{"from_iso8601_timestamp('2019-02-06T15:04:05.123456789Z')", "2019-02-06 15:04:05.123+00"},
		{"from_iso8601_timestamp('2019-02-06 15:04:05')", errContaining("Invalid format")},
		{"from_iso8601_timestamp('2019-02-30T00:00:00Z')", errContaining("")},
		// date_trunc on it, as CloudTrail queries do.
		{"date_trunc('hour', from_iso8601_timestamp('2019-02-06T15:04:05Z'))", "2019-02-06 15:00:00+00"},
		// from_iso8601_date(string) → date.
		{"from_iso8601_date('2019-02-06')", "2019-02-06"},
		{"from_iso8601_date('2019-W06-3')", "2019-02-06"},
		{"from_iso8601_date('2019-037')", "2019-02-06"},
		{"from_iso8601_date('2019-02')", "2019-02-01"},
		{"from_iso8601_date('2019-02-06T00:00')", errContaining("Invalid format")},
		// to_iso8601(x) → varchar.
		{"to_iso8601(DATE '2019-02-06')", "2019-02-06"},
		{"to_iso8601(TIMESTAMP '2019-02-06 15:04:05.123')", "2019-02-06T15:04:05.123"},
		// from_unixtime(unixtime) → timestamp(3) with time zone, rounded
		// to milliseconds; to_unixtime(timestamp) → double.
		{"from_unixtime(1549465445)", "2019-02-06 15:04:05+00"},
		{"from_unixtime(1549465445.1236)", "2019-02-06 15:04:05.124+00"},
		{"from_unixtime(1549465445, 'America/New_York') = from_unixtime(1549465445)", "true"},
		{"to_unixtime(from_iso8601_timestamp('2019-02-06T15:04:05.5Z'))", "1549465445.5"},
		{"CAST(to_unixtime(from_iso8601_timestamp('2019-02-06T15:04:05Z')) AS BIGINT)", "1549465445"},
	})
}

func TestTrinoDateArithmetic(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// date_diff(unit, t1, t2) → bigint: whole units elapsed from t1 to
		// t2 (DuckDB's own date_diff counts boundaries and gives 1 here).
		{"date_diff('day', TIMESTAMP '2020-01-01 23:00', TIMESTAMP '2020-01-02 01:00')", "0"},
		{"date_diff('second', from_iso8601_timestamp('2019-02-06T15:04:05Z'), from_iso8601_timestamp('2019-02-06T15:05:00Z'))", "55"},
		{"date_diff('hour', TIMESTAMP '2020-01-01 10:00', TIMESTAMP '2020-01-01 08:30')", "-1"},
		{"date_diff('week', DATE '2020-01-01', DATE '2020-01-14')", "1"},
		{"date_diff('month', DATE '2020-01-31', DATE '2020-02-29')", "1"},
		{"date_diff('month', DATE '2020-01-30', DATE '2020-02-28')", "0"},
		{"date_diff('quarter', DATE '2020-01-15', DATE '2020-07-14')", "1"},
		{"date_diff('year', DATE '2020-02-29', DATE '2021-02-28')", "1"},
		{"date_diff('millisecond', TIMESTAMP '2020-01-01 00:00:00', TIMESTAMP '2020-01-01 00:00:01.5')", "1500"},
		// date_add(unit, value, timestamp): the same type back; months
		// clamp to the month's end.
		{"date_add('day', -7, TIMESTAMP '2019-02-06 15:04:05')", "2019-01-30 15:04:05"},
		{"date_add('month', 1, DATE '2020-01-31')", "2020-02-29"},
		{"typeof(date_add('month', 1, DATE '2020-01-31'))", "DATE"},
		{"date_add('quarter', 1, from_iso8601_timestamp('2019-02-06T15:04:05Z'))", "2019-05-06 15:04:05+00"},
		{"date_add('hour', 1, DATE '2020-01-01')", errContaining("'hour' is not a valid DATE field")},
		{"typeof(date_add('day', -7, now()))", "TIMESTAMP WITH TIME ZONE"},
		{"date_add('day', -7, now()) < now()", "true"},
		{"current_timestamp - interval '7' day < current_timestamp", "true"},
		// date_trunc keeps a DATE a DATE.
		{"date_trunc('month', DATE '2019-02-06')", "2019-02-01"},
		{"date_trunc('week', DATE '2019-02-06')", "2019-02-04"},
		{"date_trunc('quarter', TIMESTAMP '2019-05-06 15:04:05')", "2019-04-01 00:00:00"},
		{"date_trunc('minute', from_iso8601_timestamp('2019-02-06T15:04:05.123Z'))", "2019-02-06 15:04:00+00"},
		{"date_trunc('second', from_iso8601_timestamp('2019-02-06T15:04:05.123Z'))", "2019-02-06 15:04:05+00"},
		{"date_trunc('HOUR', from_iso8601_timestamp('1969-12-31T23:59:59Z'))", "1969-12-31 23:00:00+00"},
		{"date_trunc('day', from_iso8601_timestamp('2019-02-06T15:04:05Z'))", "2019-02-06 00:00:00+00"},
		{"date_trunc('week', from_iso8601_timestamp('2019-02-06T15:04:05Z'))", "2019-02-04 00:00:00+00"},
		// day_of_week is ISO (1 = Monday .. 7 = Sunday), also in EXTRACT.
		{"day_of_week(DATE '2019-02-10')", "7"},
		{"dow(DATE '2019-02-11')", "1"},
		{"extract(dow FROM DATE '2019-02-10')", "7"},
		{"extract(day_of_week FROM DATE '2019-02-10')", "7"},
		{"extract(year FROM DATE '2019-02-10')", "2019"},
		{"day_of_year(DATE '2019-02-06')", "37"},
		{"doy(DATE '2019-02-06')", "37"},
		{"year_of_week(DATE '2021-01-01')", "2020"},
		{"week_of_year(DATE '2021-01-01')", "53"},
		{"last_day_of_month(DATE '2020-02-06')", "2020-02-29"},
		{"to_milliseconds(INTERVAL '1' DAY)", "86400000"},
		{"date(from_iso8601_timestamp('2019-02-06T15:04:05Z'))", "2019-02-06"},
	})
}

func TestTrinoJSON(t *testing.T) {
	conn := trinoConn(t)
	rp := `'{"bucketName":"my-bucket","Host":"my-bucket.s3.amazonaws.com","key":"a/b c.txt","acl":{"grant":[1,2]}}'`
	aed := `'{"SignatureVersion":"SigV4","bytesTransferredIn":0.0,"x-amz-id-2":"Xy+z/AB=","AuthenticationMethod":"AuthHeader"}'`
	runTrinoCases(t, conn, []trinoCase{
		// json_extract_scalar(json, json_path) → varchar: "Like
		// json_extract(), but returns the result value as a string ... The
		// value referenced by json_path must be a scalar".
		{"json_extract_scalar(" + rp + ", '$.bucketName')", "my-bucket"},
		{"json_extract_scalar(" + aed + `, '$["x-amz-id-2"]')`, "Xy+z/AB="},
		{"json_extract_scalar(" + aed + ", '$.bytesTransferredIn')", "0.0"},
		{"json_extract_scalar(" + rp + ", '$.acl')", null},
		{"json_extract_scalar(" + rp + ", '$.acl.grant')", null},
		{"json_extract_scalar(" + rp + ", '$.acl.grant[1]')", "2"},
		{"json_extract_scalar(" + rp + ", '$[\"acl\"][\"grant\"][0]')", "1"},
		{"json_extract_scalar(" + rp + ", '$.missing')", null},
		{`json_extract_scalar('{"a":[{"b":2}]}', '$.a[0].b')`, "2"},
		{`json_extract_scalar('[1,2,3]', '$[1]')`, "2"},
		{`json_extract_scalar('{"a":"x\u00e9\"y"}', '$.a')`, `xé"y`},
		{`json_extract_scalar('{"a":1.50e1}', '$.a')`, "1.50e1"},
		{`json_extract_scalar('{"a":null}', '$.a')`, null},
		{`json_extract_scalar('{"a":true}', '$.a')`, "true"},
		{`json_extract_scalar('{"a":1,"a":2}', '$.a')`, "1"},
		// Read as far as needed (Jackson streams): malformed text before the
		// value is NULL, after it is not looked at.
		{`json_extract_scalar('{"a" 1}', '$.a')`, null},
		{`json_extract_scalar('{"a":1, oops', '$.a')`, "1"},
		{`json_extract_scalar('not json', '$.a')`, null},
		{`json_extract_scalar('', '$.a')`, null},
		{`json_extract_scalar('{"a":1}', 'a')`, errContaining("Invalid JSON path")},
		{`json_extract_scalar('{"a":1}', '$.x-y')`, errContaining("Invalid JSON path")},
		// json_extract(json, json_path) → json
		// (docs: json_extract(json, '$.store.book') returns JSON).
		{`json_extract('{"a":{"b": 1, "c": [1, 2.50, "x\/y"]}}', '$.a')`, `{"b":1,"c":[1,2.5,"x/y"]}`},
		{`json_extract('{"a":null}', '$.a')`, "null"},
		{`json_extract('{"a":"x"}', '$.a')`, `"x"`},
		{`json_extract('{"a":1e2}', '$.a')`, "100.0"},
		{`json_extract('{"a":1}', '$.b')`, null},
		{`json_extract_scalar(json_extract('{"a":{"b":"c"}}', '$.a'), '$.b')`, "c"},
		{`CAST(json_extract('{"a":[1,2]}', '$.a') AS ARRAY(BIGINT))`, "[1, 2]"},
		// json_array_length(json) → bigint (docs: json_array_length('[1, 2, 3]') → 3).
		{"json_array_length('[1, 2, 3]')", "3"},
		{`json_array_length('[1, [2, 3], {"a": 4}]')`, "3"},
		{`json_array_length('{"a":1}')`, null},
		{`json_array_length('[1,')`, null},
		// json_size(json, json_path) → bigint (docs: json_size('{"x": {"a": 1, "b": 2}}', '$.x') → 2,
		// json_size('{"x": [1, 2, 3]}', '$.x') → 3, json_size('{"x": {"a": 1, "b": 2}}', '$.x.a') → 0).
		{`json_size('{"x": {"a": 1, "b": 2}}', '$.x')`, "2"},
		{`json_size('{"x": [1, 2, 3]}', '$.x')`, "3"},
		{`json_size('{"x": {"a": 1, "b": 2}}', '$.x.a')`, "0"},
		// json_array_contains (docs: json_array_contains('[1, 2, 3]', 2) → true).
		{"json_array_contains('[1, 2, 3]', 2)", "true"},
		{`json_array_contains('["a", "b"]', 'c')`, "false"},
		{"json_array_contains('[true]', true)", "true"},
		// json_array_get (docs: json_array_get('["a", [3, 9], "c"]', 0) → JSON 'a',
		// json_array_get('[1, 2, 3]', -1) → 3, index 10 → NULL).
		{`json_array_get('["a", [3, 9], "c"]', 0)`, `"a"`},
		{`json_array_get('["a", [3, 9], "c"]', 1)`, "[3,9]"},
		{"json_array_get('[1, 2, 3]', -1)", "3"},
		{"json_array_get('[1, 2, 3]', 10)", null},
		{`json_format(json_parse('{"a": 1}'))`, `{"a":1}`},
		{`json_parse('{"a": ')`, errContaining("Cannot convert value to JSON")},
		{`is_json_scalar('[1]')`, "false"},
	})
}

func TestTrinoStrings(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// split_part: "Returns NULL if the index is larger than the number
		// of fields"; the index starts at 1.
		{"split_part('a,b,c', ',', 2)", "b"},
		{"split_part('a,b', ',', 5)", null},
		{"split_part('a,,b', ',', 2)", ""},
		{"split_part('a,b', ',', 0)", errContaining("Index must be greater than zero")},
		{"split_part('abc', '', 2)", "b"},
		{"split('a.b.c', '.', 2)", "[a, b.c]"},
		// substr: positions from 1; 0 and positions before the start give ''.
		{"substr('abcdef', 0)", ""},
		{"substr('abc', -5)", ""},
		{"substr('abcdef', -3, 2)", "de"},
		{"substr('abc', 2, 0)", ""},
		{"substr('abc', 2)", "bc"},
		{"substring('abc' FROM 2 FOR 1)", "b"},
		// replace(string, search) removes; an empty search inserts
		// between code points.
		{"replace('abcb', 'b')", "ac"},
		{"replace('abc', '', '-')", "-a-b-c-"},
		{"replace('abc', 'b', 'x')", "axc"},
		// strpos(string, substring[, instance]): code points, 0 if absent.
		{"strpos('abcabc', 'c')", "3"},
		{"strpos('abcabc', 'c', 2)", "6"},
		{"strpos('abcabc', 'c', -1)", "6"},
		{"strpos('abcabc', 'c', -2)", "3"},
		{"strpos('abc', 'x')", "0"},
		{"strpos('aéb', 'b')", "3"},
		{"length('aé🇺🇸')", "4"},
		// concat returns NULL when an argument is NULL (DuckDB skips NULLs).
		{"concat('a', NULL)", null},
		{"concat('a', 'b', 'c')", "abc"},
		{"concat(ARRAY[1], ARRAY[2, 3])", "[1, 2, 3]"},
		// greatest/least return NULL when an argument is NULL.
		{"greatest(1, NULL, 3)", null},
		{"greatest(1, 5, 3)", "5"},
		{"least(3, 1, 2)", "1"},
		// url_decode: + is a space (java.net.URLDecoder); url_encode: Guava's
		// form escaper (docs: "The ASCII space character is encoded as +.
		// The characters ., -, * and _ are not encoded.").
		{"url_decode('a+b%20c%2B')", "a b c+"},
		{"url_decode('100%')", errContaining("Incomplete trailing escape")},
		{"url_decode('%zz')", errContaining("Illegal hex characters")},
		{"url_encode('a b*~/é')", "a+b*%7E%2F%C3%A9"},
		// format (docs examples).
		{"format('%s%%', 123)", "123%"},
		{"format('%.5f', pi())", "3.14159"},
		{"format('%03d', 8)", "008"},
		{"format('%,.2f', 1234567.89)", "1,234,567.89"},
		{"format('%-7s,%7s', 'hello', 'world')", "hello  ,  world"},
		{"format('%2$s %3$s %1$s', 'a', 'b', 'c')", "b c a"},
		{"format('%s has %d items', 'x', 3)", "x has 3 items"},
		{"format('%s|%b|%x|%e', NULL, NULL, 255, 12345.678e0)", "null|false|ff|1.234568e+04"},
		{"format('%s', 1.5e0)", "1.5"},
		{"format('%d', 1.5e0)", errContaining("d != java.lang.Double")},
		{"format('%s %s', 'a')", errContaining("Format specifier")},
		{"levenshtein_distance('kitten', 'sitting')", "3"},
		{"hamming_distance('abcde', 'abxde')", "1"},
		{"codepoint('A')", "65"},
	})
}

func TestTrinoRegexp(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// Trino docs examples.
		{`regexp_like('1a 2b 14m', '\d+b')`, "true"},
		{`regexp_extract('1a 2b 14m', '\d+')`, "1"},
		{`regexp_extract('1a 2b 14m', '(\d+)([a-z]+)', 2)`, "a"},
		{`regexp_extract_all('1a 2b 14m', '\d+')`, "[1, 2, 14]"},
		{`regexp_replace('1a 2b 14m', '\d+[ab] ')`, "14m"},
		{`regexp_replace('1a 2b 14m', '(\d+)([ab]) ', '3c$2 ')`, "3ca 3cb 14m"},
		{`regexp_count('1a 2b 14m', '\s*[a-z]+\s*')`, "3"},
		{`regexp_split('1a 2b 14m', '\s*[a-z]+\s*')`, "[1, 2, 14, '']"}, // DuckDB quotes the empty string
		// regexp_extract: NULL when nothing matches (DuckDB gives '').
		{"regexp_extract('abc', 'x')", null},
		{"regexp_extract('abc', 'x', 0)", null},
		{"regexp_extract('abc', '(b)', 2)", errContaining("Pattern has 1 groups. Cannot access group 2")},
		// regexp_replace: every match; $n and ${name} are groups, \ escapes.
		{"regexp_replace('aaa', 'a', 'b')", "bbb"},
		{"regexp_replace('a.b', '\\.', '\\$')", "a$b"},
		{"regexp_replace('a\\b', '\\\\', '\\\\\\\\')", `a\\b`},
		{"regexp_replace('abc', '(?P<x>b)', '[${x}]')", "a[b]c"},
		{"regexp_replace('abc', '(b)', '$2')", errContaining("unknown group 2")},
		{"regexp_replace('abc', 'b', '$')", errContaining("Illegal replacement sequence")},
	})
}

func TestTrinoURL(t *testing.T) {
	conn := trinoConn(t)
	u := "'http://www.example.com:80/stuff/index%20page.html?a=1&b=x+y%26z&c#frag'"
	runTrinoCases(t, conn, []trinoCase{
		{"url_extract_protocol(" + u + ")", "http"},
		{"url_extract_host(" + u + ")", "www.example.com"},
		{"url_extract_port(" + u + ")", "80"},
		{"url_extract_path(" + u + ")", "/stuff/index page.html"},
		{"url_extract_query(" + u + ")", "a=1&b=x+y&z&c"},
		{"url_extract_fragment(" + u + ")", "frag"},
		// url_extract_parameter: the first value, URL-decoded; '' for a
		// name without =; NULL when absent.
		{"url_extract_parameter(" + u + ", 'a')", "1"},
		{"url_extract_parameter(" + u + ", 'b')", "x y&z"},
		{"url_extract_parameter(" + u + ", 'c')", ""},
		{"url_extract_parameter(" + u + ", 'd')", null},
		// Missing parts are '' (Trino's nullToEmpty), the port NULL.
		{"url_extract_query('http://example.com/')", ""},
		{"url_extract_fragment('http://example.com/')", ""},
		{"url_extract_port('http://example.com/')", null},
		{"url_extract_path('http://example.com')", ""},
		// Not a URI (java.net.URI): NULL.
		{"url_extract_host('not a url')", null},
		{"url_extract_path('GET /bucket/key HTTP/1.1')", null},
		{"url_extract_host('http://')", null},
		// A host java.net.URI rejects (an underscore) leaves no host.
		{"url_extract_host('https://my_bucket.s3.amazonaws.com/key')", ""},
		{"url_extract_host('https://[2001:db8::1]:8443/x')", "[2001:db8::1]"},
		{"url_extract_port('https://[2001:db8::1]:8443/x')", "8443"},
		{"url_extract_host('https://user:pw@10.0.0.1:9000/x')", "10.0.0.1"},
		{"url_extract_path('/bucket/a%2Fb?versionId=1')", "/bucket/a/b"},
		{"url_extract_protocol('mailto:someone@example.com')", "mailto"},
		{"url_extract_path('mailto:someone@example.com')", ""},
	})
}

func TestTrinoArraysMaps(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// cardinality(x) → bigint, for arrays and maps.
		{"cardinality(ARRAY[1, 2, 3])", "3"},
		{"cardinality(MAP(ARRAY['a', 'b'], ARRAY[1, 2]))", "2"},
		{"typeof(cardinality(MAP(ARRAY['a'], ARRAY[1])))", "BIGINT"},
		// element_at(array, index): 1-based, negative from the end, NULL out
		// of range, an error for 0; element_at(map, key): NULL if absent.
		{"element_at(ARRAY[1, 2, 3], 1)", "1"},
		{"element_at(ARRAY[1, 2, 3], 5)", null},
		{"element_at(ARRAY[1, 2, 3], -1)", "3"},
		{"element_at(ARRAY[1, 2, 3], 0)", errContaining("SQL array indices start at 1")},
		{"element_at(MAP(ARRAY['a'], ARRAY[1]), 'a')", "1"},
		{"element_at(MAP(ARRAY['a'], ARRAY[1]), 'b')", null},
		{"contains(ARRAY[1, 2], 2)", "true"},
		{"contains(ARRAY['a'], 'b')", "false"},
		// array_join skips NULLs unless given a replacement.
		{"array_join(ARRAY['a', NULL, 'b'], ',')", "a,b"},
		{"array_join(ARRAY['a', NULL, 'b'], ',', 'x')", "a,x,b"},
		{"array_join(ARRAY[1, 2], '-')", "1-2"},
		{"array_position(ARRAY[1, 2], 3)", "0"},
		{"array_position(ARRAY[1, 2], 2)", "2"},
		{"array_max(ARRAY[1, NULL, 3])", null},
		{"array_max(ARRAY[1, 3])", "3"},
		{"array_distinct(ARRAY[3, 1, 3, 2])", "[3, 1, 2]"},
		{"array_remove(ARRAY[1, 2, 1], 1)", "[2]"},
		{"arrays_overlap(ARRAY[1, 2], ARRAY[2, 3])", "true"},
		{"slice(ARRAY[1, 2, 3, 4], 2, 2)", "[2, 3]"},
		{"slice(ARRAY[1, 2, 3, 4], -2, 2)", "[3, 4]"},
		{"slice(ARRAY[1, 2, 3, 4], -5, 2)", "[]"},
		{"sequence(1, 5)", "[1, 2, 3, 4, 5]"},
		{"sequence(DATE '2020-01-01', DATE '2020-01-03')", "[2020-01-01, 2020-01-02, 2020-01-03]"},
		// Lambdas (RewriteAthena): docs examples.
		{"transform(ARRAY[5, 6], x -> x + 1)", "[6, 7]"},
		{"any_match(ARRAY[1, 2], x -> x > 1)", "true"},
		{"all_match(ARRAY[1, 2], x -> x > 1)", "false"},
		{"none_match(ARRAY[1, 2], x -> x > 5)", "true"},
		{"reduce(ARRAY[5, 20, 50], 0, (s, x) -> s + x, s -> s)", "75"},
		{"filter(ARRAY[5, -6, NULL, 7], x -> x > 0)", "[5, 7]"},
		// IF(condition, true_value) is NULL when false.
		{"IF(1 > 2, 'a')", null},
		{"IF(1 < 2, 'a')", "a"},
	})
}

func TestTrinoIntegerDivisionAndNumbers(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// Integer division truncates.
		{"7 / 2", "3"},
		{"-7 / 2", "-3"},
		{"7.0 / 2", "3.5"},
		{"CAST(7 AS BIGINT) / CAST(2 AS BIGINT)", "3"},
		{"7 % 3", "1"},
		{"truncate(-1.7e0)", "-1.0"},
		{"is_nan(nan())", "true"},
		{"bitwise_and(12, 10)", "8"},
	})
}

func TestTrinoIP(t *testing.T) {
	conn := trinoConn(t)
	runTrinoCases(t, conn, []trinoCase{
		// Trino docs: contains('10.0.0.0/8', IPADDRESS '10.255.255.255') → true, etc.
		{"contains('10.0.0.0/8', IPADDRESS '10.255.255.255')", "true"},
		{"contains('10.0.0.0/8', IPADDRESS '11.255.255.255')", "false"},
		{"contains('2001:0db8:0:0:0:ff00:0042:8329/128', IPADDRESS '2001:0db8:0:0:0:ff00:0042:8329')", "true"},
		{"contains('2001:0db8:0:0:0:ff00:0042:8329/128', IPADDRESS '2001:0db8:0:0:0:ff00:0042:8328')", "false"},
		{"contains('10.0.0.0/8', CAST('10.1.2.3' AS IPADDRESS))", "true"},
		{"contains('10.0.0.0/8', '2001:db8::1')", "false"},
		{"contains('0.0.0.0/0', '1.2.3.4')", "true"},
		// Java reads an IPv4-mapped address as IPv4 (InetAddress.getByAddress).
		{"contains('::ffff:10.0.0.0/8', '10.1.2.3')", "true"},
		{"contains('::ffff:0.0.0.0/96', '10.1.2.3')", errContaining("Prefix length exceeds address length")},
		{"contains('10.0.0.1/8', '10.1.2.3')", errContaining("Invalid CIDR")},
		{"contains('10.0.0.0', '10.1.2.3')", errContaining("Invalid CIDR")},
		{"contains('10.0.0.0/8', CAST('AWS Internal' AS IPADDRESS))", errContaining("Cannot cast value to IPADDRESS")},
		{"contains('10.0.0.0/8', TRY_CAST('AWS Internal' AS IPADDRESS))", null},
		// CAST(IPADDRESS AS VARCHAR) is the canonical text.
		{"CAST(CAST('::ffff:1.2.3.4' AS IPADDRESS) AS VARCHAR)", "1.2.3.4"},
		{"CAST(IPADDRESS '2001:0db8:0:0:0:ff00:0042:8329' AS VARCHAR)", "2001:db8::ff00:42:8329"},
		{"IPADDRESS '10.0.0.1' = CAST('10.0.0.1' AS IPADDRESS)", "true"},
		// Trino docs: is_subnet_of, ip_prefix, ip_subnet_min/max.
		{"is_subnet_of(IPPREFIX '192.168.3.131/26', IPADDRESS '192.168.3.144')", "true"},
		{"is_subnet_of(IPPREFIX '64:ff9b::17/64', IPPREFIX '64:ffff::17/64')", "false"},
		{"ip_prefix(IPADDRESS '192.168.255.255', 9)", "192.128.0.0/9"},
		{"ip_subnet_min(IPPREFIX '192.64.0.0/9')", "192.0.0.0"},
		{"ip_subnet_max(IPPREFIX '192.64.0.0/9')", "192.127.255.255"},
		{"CAST(IPPREFIX '192.168.255.255/9' AS VARCHAR)", "192.128.0.0/9"},
	})
}

func TestTrinoAggregates(t *testing.T) {
	conn := trinoConn(t)
	ctx := context.Background()
	q := func(query string) string {
		t.Helper()
		var s sql.NullString
		if err := conn.QueryRowContext(ctx, RewriteAthena(query)).Scan(&s); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return nullString(s)
	}
	for _, c := range []struct{ query, want string }{
		// approx_distinct: exact here; Trino's estimate is exact for such
		// small sets (DuckDB's approx_count_distinct says 11 for 10 values).
		{"SELECT CAST(approx_distinct(x % 10) AS VARCHAR) FROM range(100) t(x)", `"10"`},
		{"SELECT CAST(approx_distinct(x % 10, 0.01) AS VARCHAR) FROM range(100) t(x)", `"10"`},
		// approx_percentile: a value of the input for integers.
		{"SELECT CAST(approx_percentile(x, 0.5) AS VARCHAR) FROM range(1, 102) t(x)", `"51"`},
		{"SELECT CAST(approx_percentile(x, ARRAY[0.0, 1.0]) AS VARCHAR) FROM range(1, 102) t(x)", `"[1, 101]"`},
		// map_agg: one entry per key.
		{"SELECT CAST(map_agg(k, v) AS VARCHAR) FROM (VALUES ('a', 1), ('b', 2)) t(k, v)", `"{a=1, b=2}"`},
		{"SELECT CAST(cardinality(map_agg(k, v)) AS VARCHAR) FROM (VALUES ('a', 1), ('b', 2), ('a', 3), (NULL, 4)) t(k, v)", `"2"`},
		{"SELECT CAST(element_at(map_agg(k, v), 'b') AS VARCHAR) FROM (VALUES ('a', 1), ('b', 2)) t(k, v)", `"2"`},
		{"SELECT CAST(every(x > 0) AS VARCHAR) FROM range(1, 5) t(x)", `"true"`},
		{"SELECT CAST(count_if(x > 2) AS VARCHAR) FROM range(1, 5) t(x)", `"2"`},
	} {
		if got := q(c.query); got != c.want {
			t.Errorf("%s: got %s, want %s", c.query, got, c.want)
		}
	}
}

// TestTrinoFastPaths checks that the formats DuckDB's strptime and
// strftime handle give the Go implementation's answers, on a year of
// timestamps around the clock.
func TestTrinoFastPaths(t *testing.T) {
	conn := trinoConn(t)
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE ts AS SELECT TIMESTAMP '1999-12-25 00:00:00' + to_seconds(x * 3607 + x % 1000 / 1000.0) AS t FROM range(20000) r(x)`); err != nil {
		t.Fatal(err)
	}
	var checks []string
	for joda, strf := range jodaFastFormat {
		checks = append(checks, fmt.Sprintf("format_datetime(t, %s) IS DISTINCT FROM __trino_format_datetime(CAST(epoch_us(t) AS VARCHAR), %s) /* %s */", quote(joda), quote(joda), strf))
	}
	for my := range mysqlFastFormat {
		checks = append(checks, fmt.Sprintf("date_format(t, %s) IS DISTINCT FROM __trino_date_format(CAST(epoch_us(t) AS VARCHAR), %s)", quote(my), quote(my)))
		checks = append(checks, fmt.Sprintf("date_format(CAST(t AS TIMESTAMPTZ), %s) IS DISTINCT FROM __trino_date_format(CAST(epoch_us(t) AS VARCHAR), %s)", quote(my), quote(my)))
	}
	for _, f := range jodaFast {
		checks = append(checks, fmt.Sprintf("parse_datetime(__trino_format_datetime(CAST(epoch_us(t) AS VARCHAR), %[1]s), %[1]s) IS DISTINCT FROM CAST(__trino_parse_datetime(__trino_format_datetime(CAST(epoch_us(t) AS VARCHAR), %[1]s), %[1]s) AS TIMESTAMPTZ)", quote(f.pattern)))
	}
	for _, f := range mysqlFast {
		checks = append(checks, fmt.Sprintf("date_parse(__trino_date_format(CAST(epoch_us(t) AS VARCHAR), %[1]s), %[1]s) IS DISTINCT FROM CAST(__trino_date_parse(__trino_date_format(CAST(epoch_us(t) AS VARCHAR), %[1]s), %[1]s) AS TIMESTAMP)", quote(f.pattern)))
	}
	checks = append(checks, "from_iso8601_timestamp(strftime(t, '%Y-%m-%dT%H:%M:%SZ')) IS DISTINCT FROM CAST(__trino_from_iso8601_timestamp(strftime(t, '%Y-%m-%dT%H:%M:%SZ')) AS TIMESTAMPTZ)")
	checks = append(checks, "date_trunc('hour', CAST(t AS TIMESTAMPTZ)) IS DISTINCT FROM system.main.date_trunc('hour', CAST(t AS TIMESTAMPTZ))")
	checks = append(checks, "date_trunc('minute', CAST(t AS TIMESTAMPTZ)) IS DISTINCT FROM system.main.date_trunc('minute', CAST(t AS TIMESTAMPTZ))")
	checks = append(checks, "date_trunc('second', CAST(t AS TIMESTAMPTZ)) IS DISTINCT FROM system.main.date_trunc('second', CAST(t AS TIMESTAMPTZ))")
	for _, c := range checks {
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM ts WHERE "+c).Scan(&n); err != nil {
			t.Errorf("%s: %v", c, err)
		} else if n != 0 {
			t.Errorf("%s: %d rows differ", c, n)
		}
	}
}

// TestTrinoSession checks where the functions are visible: after the
// read-only settings lock the configuration, on another connection of the
// same database, and inside views.
func TestTrinoSession(t *testing.T) {
	ctx := context.Background()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer connector.Close()
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := installTrino(ctx, conn); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SET TimeZone='UTC'",
		`CREATE TABLE t AS SELECT '{"a":"x"}' AS j, '06/Feb/2019:00:00:38 +0000' AS d`,
		"CREATE VIEW v AS SELECT json_extract_scalar(j, '$.a') AS a, j, d FROM t",
		"SET enable_external_access=false",
		"SET lock_configuration=true",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const probe = "SELECT a || json_extract_scalar(j, '$.a') || CAST(7 / 2 AS VARCHAR) || to_iso8601(parse_datetime(d, 'dd/MMM/yyyy:HH:mm:ss Z')) FROM v"
	const want = "xx32019-02-06T00:00:38.000Z"
	var got string
	if err := conn.QueryRowContext(ctx, probe).Scan(&got); err != nil || got != want {
		t.Fatalf("locked session: got %q, %v; want %q", got, err, want)
	}
	if _, err := conn.ExecContext(ctx, "SET integer_division=false"); err == nil {
		t.Fatal("the configuration is not locked")
	}
	// Another connection of the same database sees the macros and the Go
	// functions (they live in the database's catalogs), but not the
	// session's settings: integer division is per connection.
	other, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.QueryRowContext(ctx, probe).Scan(&got); err != nil || got != "xx3.52019-02-06T00:00:38.000Z" {
		t.Fatalf("other connection: got %q, %v", got, err)
	}
}

// TestTrinoAthenaQueries runs queries in the style of the AWS
// documentation for CloudTrail and S3 server access logs on tables shaped
// like keytrail's views.
func TestTrinoAthenaQueries(t *testing.T) {
	conn := trinoConn(t)
	ctx := context.Background()
	recent := time.Now().UTC().Add(-2 * time.Hour).Format("2006-01-02T15:04:05Z")
	setup := []string{
		`CREATE TABLE cloudtrail_logs (eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR, awsregion VARCHAR,
			sourceipaddress VARCHAR, useragent VARCHAR, errorcode VARCHAR, requestparameters VARCHAR,
			additionaleventdata VARCHAR, resources STRUCT(arn VARCHAR, accountid VARCHAR, "type" VARCHAR)[],
			useridentity STRUCT("type" VARCHAR, arn VARCHAR, accesskeyid VARCHAR))`,
		`INSERT INTO cloudtrail_logs VALUES
			('2022-04-24T10:15:00Z', 's3.amazonaws.com', 'GetObject', 'us-east-1', '203.0.113.7', '[aws-cli/2.4.0 Python/3.8.8]', NULL,
			 '{"bucketName":"docs-bucket","key":"reports/q1%202022.pdf","Host":"docs-bucket.s3.amazonaws.com"}',
			 '{"SignatureVersion":"SigV4","x-amz-id-2":"abcd+efgh=","bytesTransferredOut":1024.0}',
			 [{'arn': 'arn:aws:s3:::docs-bucket/reports/q1 2022.pdf', 'accountid': '111122223333', 'type': 'AWS::S3::Object'},
			  {'arn': 'arn:aws:s3:::docs-bucket', 'accountid': '111122223333', 'type': 'AWS::S3::Bucket'}],
			 {'type': 'IAMUser', 'arn': 'arn:aws:iam::111122223333:user/alice', 'accesskeyid': 'AKIAEXAMPLE'}),
			('2022-04-24T10:45:30Z', 's3.amazonaws.com', 'PutObject', 'us-east-1', '10.1.2.3', 'aws-sdk-go/1.44', 'AccessDenied',
			 '{"bucketName":"docs-bucket","key":"x"}', '{"x-amz-id-2":"zzz"}', [], 
			 {'type': 'AssumedRole', 'arn': 'arn:aws:sts::111122223333:assumed-role/R/s', 'accesskeyid': 'ASIAEXAMPLE'}),
			('` + recent + `', 'iam.amazonaws.com', 'CreateAccessKey', 'us-east-1', 'AWS Internal', 'console.amazonaws.com', NULL,
			 '{"userName":"bob"}', NULL, NULL, {'type': 'Root', 'arn': 'arn:aws:iam::111122223333:root', 'accesskeyid': ''})`,
		`CREATE TABLE s3_access_logs (bucket_name VARCHAR, requestdatetime VARCHAR, remoteip VARCHAR, requester VARCHAR,
			operation VARCHAR, "key" VARCHAR, request_uri VARCHAR, httpstatus VARCHAR, bytessent BIGINT, useragent VARCHAR)`,
		`INSERT INTO s3_access_logs VALUES
			('docs-bucket', '24/Apr/2022:10:15:00 +0000', '203.0.113.7', 'arn:aws:iam::111122223333:user/alice', 'REST.GET.OBJECT',
			 'reports/q1%202022.pdf', 'GET /docs-bucket/reports/q1%202022.pdf?versionId=3 HTTP/1.1', '200', 1024, 'aws-cli/2.4.0'),
			('docs-bucket', '22/Apr/2022:23:59:59 +0000', '198.51.100.9', '-', 'REST.PUT.OBJECT', 'a+b.txt', 'PUT /docs-bucket/a+b.txt HTTP/1.1', '403', NULL, 'curl/7.79'),
			('docs-bucket', '25/Apr/2022:00:00:00 +0000', '10.0.0.5', '-', 'REST.GET.BUCKET', '-', 'GET /docs-bucket?list-type=2 HTTP/1.1', '200', 300, 'aws-sdk-java')`,
	}
	for _, q := range setup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", firstWords(q), err)
		}
	}
	for _, c := range []struct{ query, want string }{
		// The seed query: S3 access logs in a time window.
		{`SELECT CAST(count(*) AS VARCHAR) FROM s3_access_logs
		  WHERE parse_datetime(requestdatetime,'dd/MMM/yyyy:HH:mm:ss Z')
		    BETWEEN parse_datetime('2022-04-23:00:00:00','yyyy-MM-dd:HH:mm:ss')
		        AND parse_datetime('2022-04-25:00:00:00','yyyy-MM-dd:HH:mm:ss')`, "2"},
		{`SELECT string_agg(url_decode("key"), '|' ORDER BY requestdatetime) FROM s3_access_logs WHERE "key" <> '-'`, "a b.txt|reports/q1 2022.pdf"},
		{`SELECT CAST(sum(CAST(bytessent AS BIGINT)) AS VARCHAR) FROM s3_access_logs WHERE httpstatus = '200'`, "1324"},
		{`SELECT url_extract_parameter('https://s3.amazonaws.com' || split_part(request_uri, ' ', 2), 'versionId') FROM s3_access_logs WHERE operation = 'REST.GET.OBJECT'`, "3"},
		{`SELECT CAST(count(*) AS VARCHAR) FROM s3_access_logs WHERE contains('10.0.0.0/8', CAST(remoteip AS IPADDRESS))`, "1"},
		// CloudTrail: recent events.
		{`SELECT eventname FROM cloudtrail_logs WHERE from_iso8601_timestamp(eventtime) > current_timestamp - interval '7' day`, "CreateAccessKey"},
		{`SELECT eventname FROM cloudtrail_logs WHERE from_iso8601_timestamp(eventtime) > date_add('day', -7, now())`, "CreateAccessKey"},
		// Events per hour.
		{`SELECT string_agg(CAST(n AS VARCHAR), ',' ORDER BY h) FROM (
		    SELECT date_trunc('hour', from_iso8601_timestamp(eventtime)) AS h, count(*) AS n
		    FROM cloudtrail_logs WHERE eventsource = 's3.amazonaws.com' GROUP BY 1)`, "2"},
		// JSON in requestParameters and additionalEventData.
		{`SELECT json_extract_scalar(requestparameters, '$.bucketName') || ' ' || json_extract_scalar(additionaleventdata, '$["x-amz-id-2"]')
		  FROM cloudtrail_logs WHERE eventname = 'GetObject'`, "docs-bucket abcd+efgh="},
		{`SELECT url_decode(json_extract_scalar(requestparameters, '$.key')) FROM cloudtrail_logs WHERE eventname = 'GetObject'`, "reports/q1 2022.pdf"},
		{`SELECT CAST(CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS DOUBLE) = 1024 AS VARCHAR) FROM cloudtrail_logs WHERE eventname = 'GetObject'`, "true"},
		// Resources.
		{`SELECT CAST(cardinality(resources) AS VARCHAR) || ' ' || element_at(resources, 1).arn FROM cloudtrail_logs WHERE eventname = 'GetObject'`, "2 arn:aws:s3:::docs-bucket/reports/q1 2022.pdf"},
		{`SELECT string_agg(r.arn, ',' ORDER BY r.arn) FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(r)`, "arn:aws:s3:::docs-bucket,arn:aws:s3:::docs-bucket/reports/q1 2022.pdf"},
		{`SELECT string_agg(rtype, ',' ORDER BY rtype) FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(rarn, racct, rtype)`, "AWS::S3::Bucket,AWS::S3::Object"},
		// Who, from where, with what.
		{`SELECT CAST(approx_distinct(sourceipaddress) AS VARCHAR) FROM cloudtrail_logs`, "3"},
		{`SELECT regexp_extract(useragent, '^\[?([a-z-]+)/', 1) FROM cloudtrail_logs WHERE eventname = 'GetObject'`, "aws-cli"},
		{`SELECT useridentity.arn FROM cloudtrail_logs WHERE useridentity.accesskeyid LIKE 'ASIA%'`, "arn:aws:sts::111122223333:assumed-role/R/s"},
		{`SELECT CAST(date_diff('second', from_iso8601_timestamp(min(eventtime)), from_iso8601_timestamp(max(eventtime))) AS VARCHAR)
		  FROM cloudtrail_logs WHERE eventsource = 's3.amazonaws.com'`, "1830"},
		{`SELECT CAST(count(*) AS VARCHAR) FROM cloudtrail_logs WHERE errorcode IS NOT NULL AND contains('10.0.0.0/8', TRY_CAST(sourceipaddress AS IPADDRESS))`, "1"},
		{`SELECT format_datetime(from_iso8601_timestamp(eventtime), 'yyyy-MM-dd HH:mm') FROM cloudtrail_logs WHERE eventname = 'PutObject'`, "2022-04-24 10:45"},
	} {
		var got sql.NullString
		if err := conn.QueryRowContext(ctx, RewriteAthena(c.query)).Scan(&got); err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if got.String != c.want {
			t.Errorf("%s: got %s, want %q", c.query, nullString(got), c.want)
		}
	}
}

func TestTrinoRewriteAthena(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT CAST(x AS IPADDRESS) FROM t", "SELECT ipaddress(x) FROM t"},
		{"select try_cast(ip as ipaddress)", "select try_ipaddress(ip)"},
		{"SELECT contains('10.0.0.0/8', CAST(sourceipaddress AS IPADDRESS))", "SELECT contains('10.0.0.0/8', ipaddress(sourceipaddress))"},
		{"SELECT IPADDRESS '10.0.0.1', IPPREFIX '10.0.0.0/8'", "SELECT ipaddress('10.0.0.1'), ipprefix('10.0.0.0/8')"},
		{"SELECT CAST(CAST(x AS VARCHAR) AS IPADDRESS)", "SELECT ipaddress(CAST(x AS VARCHAR))"},
		// Strings, quoted names and comments are left alone.
		{"SELECT 'CAST(x AS IPADDRESS)', \"IPADDRESS\" -- CAST(x AS IPADDRESS)\n", "SELECT 'CAST(x AS IPADDRESS)', \"IPADDRESS\" -- CAST(x AS IPADDRESS)\n"},
		{"SELECT 'it''s', IF(a, b) /* IF(a, b) */", "SELECT 'it''s', IF(a, b, NULL) /* IF(a, b) */"},
		{"SELECT IF(a, b, c)", "SELECT IF(a, b, c)"},
		{"SELECT CAST(j AS ARRAY(VARCHAR))", "SELECT CAST(j AS VARCHAR[])"},
		{"SELECT CAST(j AS MAP(VARCHAR, ARRAY(BIGINT)))", "SELECT CAST(j AS MAP(VARCHAR, BIGINT[]))"},
		{"SELECT CAST(j AS ROW(a VARCHAR, b DOUBLE))", "SELECT CAST(j AS STRUCT(a VARCHAR, b DOUBLE))"},
		{"SELECT CAST(x AS TIMESTAMP(3) WITH TIME ZONE)", "SELECT CAST(x AS TIMESTAMP WITH TIME ZONE)"},
		{"SELECT CAST(x AS DECIMAL(10, 2))", "SELECT CAST(x AS DECIMAL(10,2))"},
		{"SELECT transform(a, x -> x + 1)", "SELECT list_transform(a, x -> x + 1)"},
		{"SELECT t.transform(a)", "SELECT t.transform(a)"},
		{"SELECT r FROM t CROSS JOIN UNNEST(resources) AS u(r)", "SELECT r FROM t CROSS JOIN UNNEST(resources) AS u(r)"},
		{"SELECT a FROM t CROSS JOIN UNNEST(resources) AS u(a, b, c)", "SELECT a FROM t CROSS JOIN (SELECT unnest(resources, recursive := true)) AS u(a, b, c)"},
		{"SELECT x FROM t CROSS JOIN UNNEST(xs, ys) u(x, y)", "SELECT x FROM t CROSS JOIN (SELECT unnest(xs), unnest(ys)) AS u(x, y)"},
		{"SELECT x FROM t CROSS JOIN UNNEST(xs) WITH ORDINALITY AS u(x, n)", "SELECT x FROM t CROSS JOIN UNNEST(xs) WITH ORDINALITY AS u(x, n)"},
		{"CREATE TABLE IF NOT EXISTS x (a INT)", "CREATE TABLE IF NOT EXISTS x (a INT)"},
	} {
		if got := RewriteAthena(c.in); got != c.want {
			t.Errorf("RewriteAthena(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestTrinoJavaDouble checks Java's Double.toString, which Trino's JSON
// output uses for numbers with a fraction or an exponent.
func TestTrinoJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{
		100: "100.0", 1.5: "1.5", 0.001: "0.001", 1e-4: "1.0E-4", 1e7: "1.0E7", 1234567.0: "1234567.0",
		-2.5: "-2.5", 0: "0.0", 1.2345e-5: "1.2345E-5", 12345678.9: "1.23456789E7",
	} {
		if got := javaDouble(f); got != want {
			t.Errorf("javaDouble(%v) = %q, want %q", f, got, want)
		}
	}
}

// BenchmarkTrino measures the functions on a million rows (go test -bench
// Trino -run '^$' ./store/). Each reports the time for the whole query.
func BenchmarkTrino(b *testing.B) {
	conn := trinoConn(b)
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE bench AS SELECT
		strftime(TIMESTAMP '2019-01-01' + to_seconds(x), '%d/%b/%Y:%H:%M:%S +0000') AS clf,
		strftime(TIMESTAMP '2019-01-01' + to_seconds(x), '%Y-%m-%dT%H:%M:%SZ') AS iso,
		'{"bucketName":"bucket-' || (x % 100) || '","key":"k' || x || '","x-amz-id-2":"abc"}' AS rp,
		'a%20b+c' || x AS k
		FROM range(1000000) t(x)`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, where string }{
		{"baseline_length", "length(clf) > 0"},
		{"parse_datetime_fast", "parse_datetime(clf, 'dd/MMM/yyyy:HH:mm:ss Z') > TIMESTAMPTZ '2019-01-05 00:00:00+00'"},
		{"parse_datetime_go", "parse_datetime(clf, 'd/MMM/yyyy:H:m:s Z') > TIMESTAMPTZ '2019-01-05 00:00:00+00'"},
		{"duckdb_strptime", "strptime(clf, '%d/%b/%Y:%H:%M:%S %z') > TIMESTAMPTZ '2019-01-05 00:00:00+00'"},
		{"date_parse_go", "date_parse(clf, '%e/%b/%Y:%k:%i:%s +0000') > TIMESTAMP '2019-01-05 00:00:00'"},
		{"from_iso8601_timestamp", "from_iso8601_timestamp(iso) > TIMESTAMPTZ '2019-01-05 00:00:00+00'"},
		{"date_trunc_hour", "date_trunc('hour', from_iso8601_timestamp(iso)) = TIMESTAMPTZ '2019-01-05 10:00:00+00'"},
		{"date_format", "date_format(from_iso8601_timestamp(iso), '%Y-%m-%d %H') = '2019-01-05 10'"},
		{"date_format_go", "date_format(from_iso8601_timestamp(iso), '%e.%c.%Y %k') = '5.1.2019 10'"},
		{"date_diff", "date_diff('second', from_iso8601_timestamp(iso), TIMESTAMPTZ '2019-01-05 10:00:00+00') > 0"},
		{"json_extract_scalar", "json_extract_scalar(rp, '$.bucketName') = 'bucket-7'"},
		{"json_extract_scalar_bracket", `json_extract_scalar(rp, '$["x-amz-id-2"]') = 'abc'`},
		{"duckdb_json_extract_string", "json_extract_string(rp, '$.bucketName') = 'bucket-7'"},
		{"url_decode", "url_decode(k) LIKE 'a b c1%'"},
		{"regexp_extract", `regexp_extract(clf, '(\d+):', 1) = '2019'`},
		{"split_part", "split_part(clf, '/', 2) = 'Jan'"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var n int64
				if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM bench WHERE "+c.where).Scan(&n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
