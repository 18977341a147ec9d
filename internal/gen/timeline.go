package gen

import "math"

// timeline spreads n events over a span of days with a daily rhythm: busier
// in (UTC) business hours and on weekdays, per-minute noise, and now and then
// a burst minute. at(i) gives the time of event i; the times are monotone in
// i, so a stream emits events in time order without sorting.
type timeline struct {
	start int64
	cum   []float64 // cum[m] = weight of the minutes before m
	n     float64
	r     rng
	m     int
}

func newTimeline(start int64, days, n int, seed uint64) *timeline {
	if days < 1 {
		days = 1
	}
	minutes := days * 1440
	tl := &timeline{start: start, cum: make([]float64, minutes+1), n: float64(max(n, 1)), r: newRNG(seed ^ 0x7a3e)}
	noise := newRNG(seed ^ 0x51ed)
	// Weekday of the first day (0 = Sunday); 1970-01-01 was a Thursday.
	wd0 := int((start/86400 + 4) % 7)
	for m := 0; m < minutes; m++ {
		h := float64(m%1440) / 60
		diurnal := 0.45 + 1.1*math.Exp(-(h-14.5)*(h-14.5)/(2*3.8*3.8))
		w := diurnal
		if wd := (wd0 + m/1440) % 7; wd == 0 || wd == 6 {
			w *= 0.6
		}
		w *= 0.75 + 0.5*noise.float()
		if noise.chance(0.002) {
			w *= 4
		}
		tl.cum[m+1] = tl.cum[m] + w
	}
	return tl
}

// at returns the Unix time of event i; i must not decrease between calls.
func (tl *timeline) at(i int) int64 {
	total := tl.cum[len(tl.cum)-1]
	u := (float64(i) + tl.r.float()) / tl.n * total
	last := len(tl.cum) - 2
	for tl.m < last && tl.cum[tl.m+1] <= u {
		tl.m++
	}
	lo, hi := tl.cum[tl.m], tl.cum[tl.m+1]
	frac := (u - lo) / (hi - lo)
	if frac < 0 {
		frac = 0
	}
	sec := int64(frac * 60)
	if sec > 59 {
		sec = 59
	}
	return tl.start + int64(tl.m)*60 + sec
}
