package ops

import (
	"errors"
	"os"
	"runtime/pprof"
)

// CPUProfile writes a CPU profile of the process to path until the returned
// stop is called (the -cpuprofile flag of newsflow's commands). An empty
// path profiles nothing.
func CPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
