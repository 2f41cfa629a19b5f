package article

import (
	"errors"
	"fmt"
	"time"
)

// Precision says how much of a date is known.
type Precision string

// Precisions, coarsest first.
const (
	PrecisionYear   Precision = "year"
	PrecisionMonth  Precision = "month"
	PrecisionDay    Precision = "day"
	PrecisionMinute Precision = "minute"
	PrecisionSecond Precision = "second"
)

// ErrDate reports a date that is not ISO 8601 in one of the forms the
// contract allows.
var ErrDate = errors.New("not an ISO 8601 date")

var isoLayouts = []struct {
	layout    string
	precision Precision
	zoned     bool
}{
	{"2006", PrecisionYear, false},
	{"2006-01", PrecisionMonth, false},
	{"2006-01-02", PrecisionDay, false},
	{"2006-01-02T15:04", PrecisionMinute, false},
	{"2006-01-02T15:04Z07:00", PrecisionMinute, true},
	{"2006-01-02T15:04:05", PrecisionSecond, false},
	{time.RFC3339Nano, PrecisionSecond, true},
}

// ParseDate parses an ISO 8601 date as precise as it is given (2020,
// 2020-09, 2020-09-14, 2020-09-14T15:00, or a full timestamp) and returns its
// canonical form and precision. Zoned times are converted to UTC; times
// without a zone stay as they are, since their zone is unknown.
func ParseDate(s string) (string, Precision, error) {
	for _, l := range isoLayouts {
		if len(s) < 4 {
			break
		}
		t, err := time.Parse(l.layout, s)
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

// plausibleYear keeps dates to four-digit years, in UTC when zoned: a
// year-0 time with an offset would otherwise become year -1.
func plausibleYear(t time.Time, zoned bool) bool {
	if zoned {
		t = t.UTC()
	}
	return t.Year() >= 1000 && t.Year() <= 9999
}

// FormatDate writes t at the given precision; zoned times are written in UTC
// with a Z.
func FormatDate(t time.Time, p Precision, zoned bool) string {
	if zoned {
		t = t.UTC()
	}
	switch p {
	case PrecisionYear:
		return t.Format("2006")
	case PrecisionMonth:
		return t.Format("2006-01")
	case PrecisionDay:
		return t.Format("2006-01-02")
	case PrecisionMinute:
		if zoned {
			return t.Format("2006-01-02T15:04Z")
		}
		return t.Format("2006-01-02T15:04")
	default:
		if zoned {
			return t.Format("2006-01-02T15:04:05Z")
		}
		return t.Format("2006-01-02T15:04:05")
	}
}
