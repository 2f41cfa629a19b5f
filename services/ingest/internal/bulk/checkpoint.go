package bulk

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Checkpoint records how far each input file is published. It is written
// atomically (a temporary file renamed into place), so a crash leaves the
// old or the new checkpoint, never half of one.
type Checkpoint struct {
	path string
	mu   sync.Mutex
	data checkpointFile
}

type checkpointFile struct {
	Version int               `json:"version"`
	Files   map[string]*Entry `json:"files"`
}

// Entry is one file's progress. Offset is the byte where the next
// unpublished line starts; everything before it is published (or refused).
type Entry struct {
	Size      int64 `json:"size"`
	Offset    int64 `json:"offset"`
	Line      int   `json:"line"`
	Published int64 `json:"published"`
	Refused   int64 `json:"refused"`
	Done      bool  `json:"done"`
}

// LoadCheckpoint reads a checkpoint file; a missing file is an empty
// checkpoint, and an empty path one that is never saved.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	ck := &Checkpoint{path: path, data: checkpointFile{Version: 1, Files: map[string]*Entry{}}}
	if path == "" {
		return ck, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ck, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	if err := json.Unmarshal(data, &ck.data); err != nil {
		return nil, fmt.Errorf("checkpoint %s is damaged (%w); move it away to start over", path, err)
	}
	if ck.data.Version != 1 {
		return nil, fmt.Errorf("checkpoint %s has version %d, want 1", path, ck.data.Version)
	}
	if ck.data.Files == nil {
		ck.data.Files = map[string]*Entry{}
	}
	return ck, nil
}

// entry returns the progress of a file, keyed by its absolute path.
func (c *Checkpoint) entry(path string) *Entry {
	key, err := filepath.Abs(path)
	if err != nil {
		key = path
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.data.Files[key]
	if !ok {
		e = &Entry{}
		c.data.Files[key] = e
	}
	return e
}

// Save writes the checkpoint; without a path it does nothing.
func (c *Checkpoint) Save() error {
	if c.path == "" {
		return nil
	}
	c.mu.Lock()
	data, err := json.MarshalIndent(c.data, "", "  ")
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if dir := filepath.Dir(c.path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("saving checkpoint: %w", err)
		}
	}
	tmp := c.path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	return nil
}
