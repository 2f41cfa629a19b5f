package date

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// ErrUnparsable reports a publication date in no format this package knows.
var ErrUnparsable = errors.New("unrecognised date")

// zoneOffsets are the zone abbreviations feeds use (RFC 822 and common
// practice), in seconds east of UTC.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 3600, "IST": 3600, "WEST": 3600,
	"CET": 3600, "MET": 3600, "CEST": 7200, "MEST": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
	"JST": 9 * 3600, "KST": 9 * 3600, "AEST": 10 * 3600, "AEDT": 11 * 3600,
}

// layout is a time layout with the precision it gives and whether it
// carries a zone.
type layout struct {
	layout    string
	precision article.Precision
	zoned     bool
}

var layouts = []layout{
	// RFC 3339 and ISO 8601 variants
	{time.RFC3339Nano, article.PrecisionSecond, true},
	{"2006-01-02T15:04:05Z0700", article.PrecisionSecond, true},
	{"2006-01-02T15:04:05.999999999Z0700", article.PrecisionSecond, true},
	{"2006-01-02T15:04Z07:00", article.PrecisionMinute, true},
	{"2006-01-02 15:04:05Z07:00", article.PrecisionSecond, true},
	{"2006-01-02 15:04:05.999999999Z07:00", article.PrecisionSecond, true},
	{"2006-01-02 15:04:05 Z07:00", article.PrecisionSecond, true},
	{"2006-01-02 15:04:05 -0700", article.PrecisionSecond, true},
	{"2006-01-02 15:04:05 -0700 MST", article.PrecisionSecond, true},
	{"2006-01-02T15:04:05", article.PrecisionSecond, false},
	{"2006-01-02T15:04:05.999999999", article.PrecisionSecond, false},
	{"2006-01-02 15:04:05", article.PrecisionSecond, false},
	{"2006-01-02 15:04:05.999999999", article.PrecisionSecond, false},
	{"2006-01-02T15:04", article.PrecisionMinute, false},
	{"2006-01-02 15:04", article.PrecisionMinute, false},
	{"2006-01-02", article.PrecisionDay, false},
	{"20060102", article.PrecisionDay, false},
	{"2006/01/02", article.PrecisionDay, false},
	{"2006/01/02 15:04:05", article.PrecisionSecond, false},
	{"2006-01", article.PrecisionMonth, false},
	{"2006", article.PrecisionYear, false},
	// RFC 822, RFC 1123, RFC 850 and ANSI C, numeric zones
	{"Mon, 02 Jan 2006 15:04:05 -0700", article.PrecisionSecond, true},
	{"Mon, 2 Jan 2006 15:04:05 -0700", article.PrecisionSecond, true},
	{"Mon, 02 Jan 06 15:04:05 -0700", article.PrecisionSecond, true},
	{"Mon, 2 Jan 2006 15:04 -0700", article.PrecisionMinute, true},
	{"02 Jan 2006 15:04:05 -0700", article.PrecisionSecond, true},
	{"2 Jan 2006 15:04:05 -0700", article.PrecisionSecond, true},
	{"2 Jan 2006 15:04 -0700", article.PrecisionMinute, true},
	{"Monday, 02-Jan-06 15:04:05 -0700", article.PrecisionSecond, true},
	{"Mon Jan _2 15:04:05 2006", article.PrecisionSecond, false},
	{"Mon, 2 Jan 2006", article.PrecisionDay, false},
	// human formats seen in JSON exports
	{"January 2, 2006 15:04", article.PrecisionMinute, false},
	{"January 2, 2006 3:04 PM", article.PrecisionMinute, false},
	{"Jan 2, 2006 3:04 PM", article.PrecisionMinute, false},
	{"January 2, 2006", article.PrecisionDay, false},
	{"Jan 2, 2006", article.PrecisionDay, false},
	{"2 January 2006", article.PrecisionDay, false},
	{"2 Jan 2006", article.PrecisionDay, false},
	{"January 2006", article.PrecisionMonth, false},
	{"02.01.2006 15:04", article.PrecisionMinute, false},
	{"02.01.2006", article.PrecisionDay, false},
	{"2.1.2006", article.PrecisionDay, false},
	{"02/01/2006 15:04", article.PrecisionMinute, false},
	{"02/01/2006", article.PrecisionDay, false},
}

// ParsePublished normalises a publication date as sources give it: ISO 8601
// and RFC 3339 at any precision, RFC 822/1123 feed dates (numeric zones and
// the usual abbreviations), Unix seconds or milliseconds, and common
// human-readable forms. Zoned times are converted to UTC. Slash dates are
// read day first (dd/mm/yyyy), as European sources write them, unless only
// month first makes sense.
func ParsePublished(s string) (string, article.Precision, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", fmt.Errorf("empty date: %w", ErrUnparsable)
	}
	// what ingest normalises already (ISO 8601, RFC 3339, RFC 822/1123,
	// epoch), then the human forms JSON exports carry
	if v, p, err := article.NormaliseDate(s); err == nil {
		return v, p, nil
	}
	if t, ok := parseEpoch(s); ok {
		return article.FormatDate(t, article.PrecisionSecond, true), article.PrecisionSecond, nil
	}
	cleaned := replaceZoneName(s)
	for _, l := range layouts {
		t, err := time.Parse(l.layout, cleaned)
		if err != nil {
			continue
		}
		if !validYear(t.Year()) {
			break
		}
		return article.FormatDate(t, l.precision, l.zoned), l.precision, nil
	}
	// mm/dd/yyyy when dd/mm/yyyy cannot be: 09/14/2020
	for _, l := range []string{"01/02/2006 15:04", "01/02/2006", "1/2/2006"} {
		if t, err := time.Parse(l, cleaned); err == nil {
			p := article.PrecisionDay
			if strings.Contains(l, ":") {
				p = article.PrecisionMinute
			}
			return article.FormatDate(t, p, false), p, nil
		}
	}
	return "", "", fmt.Errorf("%q: %w", s, ErrUnparsable)
}

func validYear(y int) bool { return y >= 1000 && y <= 9999 }

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

// replaceZoneName turns a trailing zone abbreviation ("GMT", "EDT") into a
// numeric offset, which Go's parser, unlike its handling of names, applies.
func replaceZoneName(s string) string {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return s
	}
	name := strings.ToUpper(strings.Trim(s[i+1:], "()"))
	off, ok := zoneOffsets[name]
	if !ok {
		return s
	}
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s %c%02d%02d", s[:i], sign, off/3600, off%3600/60)
}
