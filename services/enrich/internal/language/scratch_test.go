package language

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestScratchEval(t *testing.T) {
	core := []string{"bg", "cs", "da", "de", "el", "en", "es", "fi", "fr", "hu", "it", "nl", "pl", "pt", "ro", "sv"}
	codes := DefaultLanguages
	if os.Getenv("L16") != "" {
		codes = core
	}
	d, _ := NewDetector(codes)

	files, _ := filepath.Glob("../../testdata/langdev/*.txt")
	var n, ok, n16, ok16, sn, sok int
	conf := map[string]int{}
	for _, f := range files {
		code := strings.TrimSuffix(filepath.Base(f), ".txt")
		data, _ := os.ReadFile(f)
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			sn++
			if d.Detect(l).Code == code {
				sok++
			}
			var ws []string
			for _, w := range strings.Fields(l) {
				w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
				if w != "" {
					ws = append(ws, w)
				}
			}
			for i := 0; i+1 < len(ws); i += 2 {
				got := d.Detect(ws[i] + " " + ws[i+1]).Code
				n++
				if got == code {
					ok++
				} else {
					conf[code+">"+got]++
				}
				if slices.Contains(core, code) {
					n16++
					if got == code {
						ok16++
					}
				}
			}
		}
	}
	if os.Getenv("CONF") != "" {
		type kv struct {
			k string
			v int
		}
		var kvs []kv
		for k, v := range conf {
			kvs = append(kvs, kv{k, v})
		}
		slices.SortFunc(kvs, func(a, b kv) int { return b.v - a.v })
		fmt.Println(kvs[:min(30, len(kvs))])
	}
	fmt.Printf("sentences %.2f pairs all %.2f  16 %.2f\n", 100*float64(sok)/float64(sn), 100*float64(ok)/float64(n), 100*float64(ok16)/float64(n16))
}
