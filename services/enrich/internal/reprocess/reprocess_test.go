package reprocess

import "testing"

func TestRangeMetadata(t *testing.T) {
	tests := []struct {
		name string
		meta string
		want [2]int64
		ok   bool
	}{
		{name: "round trip", meta: formatRange(10, 250), want: [2]int64{10, 250}, ok: true},
		{name: "empty range", meta: formatRange(7, 7), want: [2]int64{7, 7}, ok: true},
		{name: "someone else's metadata", meta: "consumer-1", ok: false},
		{name: "inverted", meta: rangePrefix + "9-3", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRange(tt.meta)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("parseRange(%q) = %v, %v; want %v, %v", tt.meta, got, ok, tt.want, tt.ok)
			}
		})
	}
}
