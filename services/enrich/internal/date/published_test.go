package date

import (
	"errors"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

func TestParsePublished(t *testing.T) {
	tests := []struct {
		name, in, want string
		precision      article.Precision
	}{
		{"sample header month", "2020-09", "2020-09", article.PrecisionMonth},
		{"year", "2020", "2020", article.PrecisionYear},
		{"day", "2020-09-14", "2020-09-14", article.PrecisionDay},
		{"rfc3339 zone to utc", "2020-09-14T15:04:05+02:00", "2020-09-14T13:04:05Z", article.PrecisionSecond},
		{"rfc3339 fraction", "2020-09-14T15:04:05.123Z", "2020-09-14T15:04:05Z", article.PrecisionSecond},
		{"rfc1123 numeric zone", "Mon, 14 Sep 2020 15:04:05 +0200", "2020-09-14T13:04:05Z", article.PrecisionSecond},
		{"rfc822 named zone", "Mon, 14 Sep 2020 10:04:05 EDT", "2020-09-14T14:04:05Z", article.PrecisionSecond},
		{"rfc822 gmt without weekday", "14 Sep 2020 15:04:05 GMT", "2020-09-14T15:04:05Z", article.PrecisionSecond},
		{"rfc822 cest", "Mon, 14 Sep 2020 15:04:05 CEST", "2020-09-14T13:04:05Z", article.PrecisionSecond},
		{"space separated", "2020-09-14 15:04:05", "2020-09-14T15:04:05", article.PrecisionSecond},
		{"epoch seconds", "1600095845", "2020-09-14T15:04:05Z", article.PrecisionSecond},
		{"epoch millis", "1600095845000", "2020-09-14T15:04:05Z", article.PrecisionSecond},
		{"long english", "September 14, 2020", "2020-09-14", article.PrecisionDay},
		{"day month year", "14 September 2020", "2020-09-14", article.PrecisionDay},
		{"dotted european", "14.09.2020", "2020-09-14", article.PrecisionDay},
		{"slashed day first", "14/09/2020", "2020-09-14", article.PrecisionDay},
		{"slashed month first when day first cannot be", "09/14/2020", "2020-09-14", article.PrecisionDay},
		{"english with time", "Sep 14, 2020 3:04 PM", "2020-09-14T15:04", article.PrecisionMinute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p, err := ParsePublished(tt.in)
			if err != nil {
				t.Fatalf("ParsePublished(%q): %v", tt.in, err)
			}
			if got != tt.want || p != tt.precision {
				t.Errorf("ParsePublished(%q) = %q %s, want %q %s", tt.in, got, p, tt.want, tt.precision)
			}
		})
	}
}

func TestParsePublishedRejects(t *testing.T) {
	for _, in := range []string{"", "soon", "32/13/2020", "yesterday", "12345"} {
		t.Run(in, func(t *testing.T) {
			if v, _, err := ParsePublished(in); !errors.Is(err, ErrUnparsable) {
				t.Errorf("ParsePublished(%q) = %q, %v; want ErrUnparsable", in, v, err)
			}
		})
	}
}
