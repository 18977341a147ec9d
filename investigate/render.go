package investigate

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the report for a person to read in one screen: the
// conclusion first, then principals, actors, timeline and findings.
func WriteText(w io.Writer, r *Report) error {
	return write(w, r, false)
}

// WriteMarkdown writes the report as Markdown, for tickets and notes.
func WriteMarkdown(w io.Writer, r *Report) error {
	return write(w, r, true)
}

const maxActors = 8

func write(w io.Writer, r *Report, md bool) error {
	p := &printer{w: w, md: md}
	if md {
		p.f("# keytrail: %s %s\n\n", r.Subject.Kind, r.Subject.Value)
		p.f("**%s.**\n\n", r.Conclusion)
	} else {
		p.f("%s.\n\n", r.Conclusion)
	}
	p.f("%s %s, %s\n", p.label("Window:"), fmtTime(r.Window.From), fmtTime(r.Window.To))
	if len(r.Principals) > 0 {
		p.heading("Principals")
		for _, pr := range r.Principals {
			line := pr.ARN
			if pr.Type != "" {
				line += " (" + pr.Type + ")"
			}
			line += " — from " + strings.Join(pr.Source, ", ")
			if pr.Events > 0 {
				line += fmt.Sprintf("; %d CloudTrail events %s to %s", pr.Events, fmtTime(pr.FirstSeen), fmtTime(pr.LastSeen))
			}
			if len(pr.OtherKeys) > 0 {
				line += "; other keys: " + strings.Join(pr.OtherKeys, ", ")
			}
			p.item(line)
		}
	}
	if o := r.IAM; o != nil {
		line := "IAM: key of " + o.ARN
		if o.ARN == "" {
			line = "IAM: key of account " + o.Account
		}
		if o.LastUsed != nil {
			line += "; last used " + fmtTime(o.LastUsed.UTC())
			if o.LastService != "" {
				line += " on " + o.LastService
			}
			if o.LastRegion != "" {
				line += " in " + o.LastRegion
			}
		} else if o.UserName != "" {
			line += "; never used, IAM says"
		}
		for _, k := range o.Keys {
			if k.ID != r.Subject.Value {
				line += fmt.Sprintf("; other key %s (%s, created %s)", k.ID, k.Status, k.Created.Format("2006-01-02"))
			}
		}
		p.item(line)
	}
	for _, k := range r.Keys {
		line := "key " + k.KeyID + " of " + k.User
		if !k.Created.IsZero() {
			line += ": created " + fmtTime(k.Created)
		}
		if !k.Deactivated.IsZero() {
			line += ", deactivated " + fmtTime(k.Deactivated)
		}
		if !k.Deleted.IsZero() {
			line += ", deleted " + fmtTime(k.Deleted)
		}
		p.item(line)
	}
	p.heading(fmt.Sprintf("Actors (source IP and user agent), %d", len(r.Actors)))
	if len(r.Actors) == 0 {
		p.item("none")
	}
	for i, a := range r.Actors {
		if i == maxActors {
			p.item(fmt.Sprintf("… and %d more (see --format json)", len(r.Actors)-maxActors))
			break
		}
		every := ""
		if a.Interval.Median > 0 {
			every = "every ~" + humanDuration(a.Interval.Median)
			if a.Interval.Scheduled {
				every += fmt.Sprintf(" ±%s (scheduled)", humanDuration(a.Interval.Jitter))
			}
		}
		p.item(fmt.Sprintf("%s  %s", a.SourceIP, a.UserAgent))
		p.sub(fmt.Sprintf("%d requests, %s to %s %s", a.Requests, fmtTime(a.FirstSeen), fmtTime(a.LastSeen), every))
		p.sub("where: " + a.Attribution.Description)
		p.sub("what: " + counts(a.Operations, 4))
		if len(a.Buckets) > 0 {
			pre := make([]string, len(a.KeyPrefixes))
			for i, c := range a.KeyPrefixes {
				pre[i] = fmt.Sprintf("%s (%d)", c.Value, c.Count)
			}
			p.sub("buckets: " + strings.Join(a.Buckets, ", ") + "; keys: " + strings.Join(pre, ", "))
		}
		if len(a.ErrorCodes) > 0 {
			p.sub("errors: " + counts(a.ErrorCodes, 4))
		}
		line := "seen in: " + strings.Join(a.Sources, ", ")
		if len(a.Principals) > 0 && r.Subject.Kind != "key" && r.Subject.Kind != "principal" {
			line += "; as " + strings.Join(a.Principals, ", ")
		}
		p.sub(line)
	}
	if len(r.Timeline.Series) > 0 {
		p.heading(fmt.Sprintf("Timeline (requests per %s, %s to %s)", r.Timeline.Bucket,
			r.Timeline.Starts[0].Format("2006-01-02 15:04"), r.Timeline.Starts[len(r.Timeline.Starts)-1].Format("2006-01-02 15:04")))
		if md {
			p.f("```\n")
		}
		for _, s := range r.Timeline.Series {
			name := s.Actor
			if len(name) > 40 {
				name = name[:39] + "…"
			}
			p.f("  %-40s %s %d\n", name, sparkline(s.Counts, 60), sum(s.Counts))
		}
		if md {
			p.f("```\n")
		}
	}
	p.heading("Findings")
	if len(r.Findings) == 0 {
		p.item("nothing the logs cannot see in this window")
	}
	sorted := append([]Finding(nil), r.Findings...)
	rank := map[string]int{"high": 0, "warning": 1, "info": 2}
	sort.SliceStable(sorted, func(i, j int) bool { return rank[sorted[i].Severity] < rank[sorted[j].Severity] })
	for _, f := range sorted {
		p.item(fmt.Sprintf("[%s] %s", f.Severity, f.Message))
	}
	c := r.Coverage
	p.heading("Coverage")
	p.item(fmt.Sprintf("CloudTrail: %d day(s), regions %s; S3 data events: %d", len(c.CloudTrailDays), orNone(c.CloudTrailRegions), c.S3DataEvents))
	p.item(fmt.Sprintf("S3 access logs: %d day(s), buckets %s", len(c.AccessLogDays), orNone(c.AccessLogBuckets)))
	return p.err
}

type printer struct {
	w   io.Writer
	md  bool
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) heading(s string) {
	if p.md {
		p.f("\n## %s\n\n", s)
	} else {
		p.f("\n%s\n", s)
	}
}

func (p *printer) label(s string) string {
	if p.md {
		return "**" + s + "**"
	}
	return s
}

func (p *printer) item(s string) {
	if p.md {
		p.f("- %s\n", s)
	} else {
		p.f("  %s\n", s)
	}
}

func (p *printer) sub(s string) {
	if p.md {
		p.f("  - %s\n", s)
	} else {
		p.f("      %s\n", s)
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "(unbounded)"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func counts(m map[string]int64, n int) string {
	t := top(m, n)
	parts := make([]string, len(t))
	for i, c := range t {
		parts[i] = fmt.Sprintf("%s %d", c.Value, c.Count)
	}
	if len(m) > n {
		parts = append(parts, fmt.Sprintf("+%d more", len(m)-n))
	}
	return strings.Join(parts, ", ")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	if len(s) > 6 {
		return strings.Join(s[:6], ", ") + fmt.Sprintf(" +%d more", len(s)-6)
	}
	return strings.Join(s, ", ")
}

func sum(c []int64) int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// sparkline draws counts in at most width characters, summing neighbours.
func sparkline(counts []int64, width int) string {
	if len(counts) == 0 {
		return ""
	}
	per := (len(counts) + width - 1) / width
	var cells []int64
	for i := 0; i < len(counts); i += per {
		var s int64
		for j := i; j < i+per && j < len(counts); j++ {
			s += counts[j]
		}
		cells = append(cells, s)
	}
	var max int64
	for _, c := range cells {
		if c > max {
			max = c
		}
	}
	bars := []rune(" ▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, c := range cells {
		if c == 0 || max == 0 {
			b.WriteRune('·')
			continue
		}
		b.WriteRune(bars[1+int(c*int64(len(bars)-2)/max)])
	}
	return b.String()
}
