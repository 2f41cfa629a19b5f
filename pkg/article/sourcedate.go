package article

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sourceLayouts are the non-ISO forms sources give publication dates in:
// RFC 3339 with a space or a compact zone, RFC 822/1123/850 as feeds write
// them, ANSI C, and the "YYYY-MM-DD hh:mm:ss" of JSON exports (news-please).
var sourceLayouts = []struct {
	layout    string
	precision Precision
	zoned     bool
}{
	{"2006-01-02T15:04:05Z0700", PrecisionSecond, true},
	{"2006-01-02T15:04:05.999999999Z0700", PrecisionSecond, true},
	{"2006-01-02 15:04:05Z07:00", PrecisionSecond, true},
	{"2006-01-02 15:04:05.999999999Z07:00", PrecisionSecond, true},
	{"2006-01-02 15:04:05 -0700", PrecisionSecond, true},
	{"2006-01-02 15:04:05", PrecisionSecond, false},
	{"2006-01-02 15:04:05.999999999", PrecisionSecond, false},
	{"2006-01-02T15:04:05.999999999", PrecisionSecond, false},
	{"2006-01-02 15:04", PrecisionMinute, false},
	{"Mon, 02 Jan 2006 15:04:05 -0700", PrecisionSecond, true},
	{"Mon, 2 Jan 2006 15:04:05 -0700", PrecisionSecond, true},
	{"Mon, 02 Jan 06 15:04:05 -0700", PrecisionSecond, true},
	{"Mon, 2 Jan 2006 15:04 -0700", PrecisionMinute, true},
	{"02 Jan 2006 15:04:05 -0700", PrecisionSecond, true},
	{"2 Jan 2006 15:04:05 -0700", PrecisionSecond, true},
	{"Monday, 02-Jan-06 15:04:05 -0700", PrecisionSecond, true},
	{"Mon Jan _2 15:04:05 2006", PrecisionSecond, false},
	{"Mon, 2 Jan 2006", PrecisionDay, false},
	{"2 Jan 2006", PrecisionDay, false},
}

// zoneOffsets are the zone names RFC 822 allows and feeds use, in seconds
// east of UTC. Go's parser accepts a name but cannot apply its offset.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"CET": 3600, "CEST": 7200, "BST": 3600, "EET": 7200, "EEST": 10800,
}

// NormaliseDate turns a publication date as a source gives it into the
// contract's ISO 8601 form, as precise as the source knows it: ISO 8601 at
// any precision, RFC 3339 variants, RFC 822/1123/850 (numeric zones and the
// usual names), ANSI C, "YYYY-MM-DD hh:mm:ss", and Unix seconds or
// milliseconds. Zoned times are converted to UTC.
func NormaliseDate(s string) (string, Precision, error) {
	s = strings.TrimSpace(s)
	// The common full timestamp first: ParseDate would try six shorter
	// layouts before it. Same result as ParseDate gives.
	if len(s) >= 20 {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil && plausibleYear(t, true) {
			return FormatDate(t, PrecisionSecond, true), PrecisionSecond, nil
		}
	}
	if v, p, err := ParseDate(s); err == nil {
		return v, p, nil
	}
	if t, ok := parseEpoch(s); ok && plausibleYear(t, true) {
		return FormatDate(t, PrecisionSecond, true), PrecisionSecond, nil
	}
	cleaned := numericZone(s)
	for _, l := range sourceLayouts {
		t, err := time.Parse(l.layout, cleaned)
		if err != nil {
			continue
		}
		if !plausibleYear(t, l.zoned) {
			break
		}
		return FormatDate(t, l.precision, l.zoned), l.precision, nil
	}
	return "", "", fmt.Errorf("%q: %w", s, ErrDate)
}

// parseEpoch reads Unix time in seconds (10 digits) or milliseconds (13).
func parseEpoch(s string) (time.Time, bool) {
	if len(s) != 10 && len(s) != 13 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	if len(s) == 13 {
		return time.UnixMilli(n).UTC(), true
	}
	return time.Unix(n, 0).UTC(), true
}

// numericZone replaces a trailing zone name ("GMT", "EDT") by its offset.
func numericZone(s string) string {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return s
	}
	off, ok := zoneOffsets[strings.ToUpper(strings.Trim(s[i+1:], "()"))]
	if !ok {
		return s
	}
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s %c%02d%02d", s[:i], sign, off/3600, off%3600/60)
}
