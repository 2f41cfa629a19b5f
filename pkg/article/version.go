package article

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is an enrichment version, MAJOR.MINOR.PATCH. It changes whenever
// any tagger's output can change; sinks use it so an older enrichment never
// overwrites a newer one.
type Version struct{ Major, Minor, Patch int }

// ParseVersion parses MAJOR.MINOR.PATCH.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("%w: version %q is not MAJOR.MINOR.PATCH", ErrInvalidField, s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 999999 || (len(p) > 1 && p[0] == '0') {
			return Version{}, fmt.Errorf("%w: version %q is not MAJOR.MINOR.PATCH", ErrInvalidField, s)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Compare returns -1, 0 or 1 as v is older than, equal to or newer than w.
func (v Version) Compare(w Version) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		if d < 0 {
			return -1
		}
		if d > 0 {
			return 1
		}
	}
	return 0
}

// Ordinal maps a version to an integer that sorts like the version, for
// stores that compare versions in SQL.
func (v Version) Ordinal() int64 {
	return int64(v.Major)*1_000_000_000_000 + int64(v.Minor)*1_000_000 + int64(v.Patch)
}
