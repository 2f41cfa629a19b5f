// Command hostspeed times a fixed piece of work, the same in every run of
// make bench, and prints the seconds it took: how fast the host was when the
// suite ran. This machine's host changes under it (the same enrichment has
// taken 4.9 s and 9.3 s on the same day), so benchmarks.md states it, and
// two runs' rates compare only after dividing by it.
//
//	go run ./cmd/hostspeed    # prints "hostspeed 0.412"
package main

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

func main() {
	best := time.Duration(1<<63 - 1)
	for range 3 {
		best = min(best, once())
	}
	fmt.Printf("hostspeed %.3f\n", best.Seconds())
}

// once hashes, sorts and fills a map: memory-bound and branchy work much
// like the taggers', with a fixed seed.
func once() time.Duration {
	start := time.Now()
	buf := make([]byte, 16<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	sum := sha256.Sum256(buf)
	xs := make([]uint64, 1<<20)
	for i := range xs {
		xs[i] = r.Uint64()
	}
	slices.Sort(xs)
	m := make(map[string]int)
	for i := range 1 << 19 {
		m[strconv.FormatUint(xs[i]>>uint(sum[i%32]%32), 36)] += i
	}
	if len(m) == 0 {
		panic("hostspeed: nothing done")
	}
	return time.Since(start)
}
