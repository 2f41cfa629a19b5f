package ops

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCPUProfile(t *testing.T) {
	stop, err := CPUProfile("")
	if err != nil || stop() != nil {
		t.Fatalf("no path: err %v", err)
	}
	path := filepath.Join(t.TempDir(), "cpu.prof")
	if stop, err = CPUProfile(path); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("profile %s: %v, %d bytes", path, err, fi.Size())
	}
	if _, err := CPUProfile(filepath.Join(t.TempDir(), "missing", "cpu.prof")); err == nil {
		t.Error("a path in a missing directory gave no error")
	}
}
