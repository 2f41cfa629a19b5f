package article

import (
	"errors"
	"testing"
)

func TestNormaliseDate(t *testing.T) {
	tests := []struct {
		name, in, want string
		precision      Precision
	}{
		{"iso month", "2020-09", "2020-09", PrecisionMonth},
		{"rfc3339 offset", "2020-09-14T15:00:00+02:00", "2020-09-14T13:00:00Z", PrecisionSecond},
		{"rfc3339 compact zone", "2020-09-14T15:00:00+0200", "2020-09-14T13:00:00Z", PrecisionSecond},
		{"rfc1123 numeric", "Mon, 14 Sep 2020 15:00:00 +0200", "2020-09-14T13:00:00Z", PrecisionSecond},
		{"rfc1123 gmt", "Mon, 14 Sep 2020 15:00:00 GMT", "2020-09-14T15:00:00Z", PrecisionSecond},
		{"rfc822 edt single digit day", "Tue, 1 Sep 2020 08:30:00 EDT", "2020-09-01T12:30:00Z", PrecisionSecond},
		{"rfc822 two digit year", "Mon, 14 Sep 20 15:00:00 +0000", "2020-09-14T15:00:00Z", PrecisionSecond},
		{"rfc822 no seconds", "Mon, 14 Sep 2020 15:00 +0000", "2020-09-14T15:00Z", PrecisionMinute},
		{"rfc850", "Monday, 14-Sep-20 15:00:00 GMT", "2020-09-14T15:00:00Z", PrecisionSecond},
		{"ansi c", "Mon Sep 14 15:00:00 2020", "2020-09-14T15:00:00", PrecisionSecond},
		{"news-please", "2020-09-14 15:00:00", "2020-09-14T15:00:00", PrecisionSecond},
		{"space zone", "2020-09-14 15:00:00+02:00", "2020-09-14T13:00:00Z", PrecisionSecond},
		{"unix seconds", "1600095600", "2020-09-14T15:00:00Z", PrecisionSecond},
		{"unix millis", "1600095600000", "2020-09-14T15:00:00Z", PrecisionSecond},
		{"date only rfc822", "14 Sep 2020", "2020-09-14", PrecisionDay},
		{"padded", "  2020-09-14  ", "2020-09-14", PrecisionDay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p, err := NormaliseDate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || p != tt.precision {
				t.Fatalf("NormaliseDate(%q) = %q, %s; want %q, %s", tt.in, got, p, tt.want, tt.precision)
			}
			if _, _, err := ParseDate(got); err != nil {
				t.Fatalf("result %q is not contract ISO: %v", got, err)
			}
		})
	}
	for _, bad := range []string{"", "yesterday", "14/09/2020 maybe", "Mon, 14 Sep 0020 15:00:00 +0000", "123"} {
		if got, _, err := NormaliseDate(bad); !errors.Is(err, ErrDate) {
			t.Errorf("NormaliseDate(%q) = %q, %v; want ErrDate", bad, got, err)
		}
	}
}

func FuzzNormaliseDate(f *testing.F) {
	for _, s := range []string{"2020-09", "Mon, 14 Sep 2020 15:00:00 GMT", "1600095600", "2020-09-14 15:00:00"} {
		f.Add(s)
	}
	f.Add("2020-09-14T15:00:00.123+02:00")
	f.Fuzz(func(t *testing.T, s string) {
		v, _, err := NormaliseDate(s)
		// What the contract parser reads, NormaliseDate reads the same way.
		if iso, _, isoErr := ParseDate(s); isoErr == nil && (err != nil || iso != v) {
			t.Fatalf("ParseDate(%q) = %q but NormaliseDate gives %q, %v", s, iso, v, err)
		}
		if err != nil {
			return
		}
		// Whatever is accepted is a contract date and stays itself.
		again, _, err := ParseDate(v)
		if err != nil || again != v {
			t.Fatalf("NormaliseDate(%q) = %q, which ParseDate gives back as %q, %v", s, v, again, err)
		}
	})
}
