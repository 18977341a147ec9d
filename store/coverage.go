package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/keytrail/keytrail"
)

// Coverage reports what the session's snapshot of the store holds.
func (d *DB) Coverage(ctx context.Context) (*keytrail.Coverage, error) {
	cov := &keytrail.Coverage{}
	for _, t := range []struct{ view, keys string }{
		{"cloudtrail_logs", "account, region"},
		{"s3_access_logs", "bucket, NULL"},
	} {
		tc := keytrail.TableCoverage{Table: t.view, Groups: []keytrail.CoverageGroup{}}
		ts := "eventtimestamp"
		if t.view == "s3_access_logs" {
			ts = "requesttime"
		}
		q := fmt.Sprintf(`SELECT %s, date, count(*), min(%s), max(%s), list(DISTINCT hour(%s) ORDER BY hour(%s))
			FROM %s GROUP BY ALL ORDER BY ALL`, t.keys, ts, ts, ts, ts, t.view)
		rows, err := d.QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("cannot read the store's coverage: %w", err)
		}
		groups := map[[2]string]*keytrail.CoverageGroup{}
		days := map[[2]string]map[string]bool{}
		hoursOf := map[[2]string]map[string]map[int]bool{}
		var order [][2]string
		for rows.Next() {
			var k1, k2 *string
			var day string
			var n int64
			var first, last time.Time
			var hours []any
			if err := rows.Scan(&k1, &k2, &day, &n, &first, &last, &hours); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read the store's coverage: %w", err)
			}
			key := [2]string{deref(k1), deref(k2)}
			g := groups[key]
			if g == nil {
				g = &keytrail.CoverageGroup{First: first.UTC(), Last: last.UTC(), MissingDays: []string{}, EmptyHours: []string{}}
				if t.view == "s3_access_logs" {
					g.Bucket = key[0]
				} else {
					g.Account, g.Region = key[0], key[1]
				}
				groups[key] = g
				days[key] = map[string]bool{}
				hoursOf[key] = map[string]map[int]bool{}
				order = append(order, key)
			}
			g.Rows += n
			g.Days++
			tc.Rows += n
			days[key][day] = true
			if first.Before(g.First) {
				g.First = first.UTC()
			}
			if last.After(g.Last) {
				g.Last = last.UTC()
			}
			have := map[int]bool{}
			for _, h := range hours {
				if v, ok := h.(int64); ok {
					have[int(v)] = true
				}
			}
			hoursOf[key][day] = have
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("cannot read the store's coverage: %w", err)
		}
		for _, key := range order {
			g := groups[key]
			for d := g.First.Truncate(24 * time.Hour); !d.After(g.Last); d = d.AddDate(0, 0, 1) {
				if s := d.Format("2006-01-02"); !days[key][s] {
					g.MissingDays = append(g.MissingDays, s)
				}
			}
			// Hours without rows, between the first and the last record, in
			// days that have rows (whole missing days are listed above).
			firstHour, lastHour := g.First.Truncate(time.Hour), g.Last.Truncate(time.Hour)
			for _, day := range slices.Sorted(maps.Keys(hoursOf[key])) {
				for h := 0; h < 24; h++ {
					at, _ := time.Parse("2006-01-02T15", fmt.Sprintf("%sT%02d", day, h))
					if !at.Before(firstHour) && !at.After(lastHour) && !hoursOf[key][day][h] {
						g.EmptyHours = append(g.EmptyHours, at.Format("2006-01-02T15"))
					}
				}
			}
			tc.Groups = append(tc.Groups, *g)
		}
		sort.SliceStable(tc.Groups, func(i, j int) bool {
			a, b := tc.Groups[i], tc.Groups[j]
			return a.Account+a.Region+a.Bucket < b.Account+b.Region+b.Bucket
		})
		cov.Tables = append(cov.Tables, tc)
	}
	return cov, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// SourceRows is what the store holds of one source object, as its rows
// tell (every row names its source_key).
type SourceRows struct {
	Table   string
	Rows    int64
	Seconds []time.Time // the distinct seconds of its rows' times, in order
}

// SourceRows returns, for each source key of the given keys that rows of
// the store name, what they hold. An ingest uses it once, to rebuild what
// an older manifest lost of such objects.
func (d *DB) SourceRows(ctx context.Context, keys map[string]bool) (map[string]SourceRows, error) {
	out := map[string]SourceRows{}
	for _, t := range []struct{ view, table, ts string }{
		{"cloudtrail_logs", TableCloudTrail, "eventtimestamp"},
		{"s3_access_logs", TableS3Access, "requesttime"},
	} {
		rows, err := d.QueryContext(ctx, fmt.Sprintf(`SELECT source_key, count(*), list(DISTINCT epoch(date_trunc('second', %s)) ORDER BY epoch(date_trunc('second', %s)))
			FROM %s GROUP BY 1`, t.ts, t.ts, t.view))
		if err != nil {
			return nil, fmt.Errorf("cannot read the store's source keys: %w", err)
		}
		for rows.Next() {
			var key string
			var secs []any
			r := SourceRows{Table: t.table}
			if err := rows.Scan(&key, &r.Rows, &secs); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read the store's source keys: %w", err)
			}
			if !keys[key] {
				continue
			}
			for _, v := range secs {
				if f, ok := v.(float64); ok {
					r.Seconds = append(r.Seconds, time.Unix(int64(f), 0).UTC())
				}
			}
			out[key] = r
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
