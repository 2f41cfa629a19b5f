package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// walBackstop is the WAL size, in pages, at which the writer checkpoints
// itself (wal_autocheckpoint): the checkpointer normally keeps up, but only
// a checkpoint that finishes between two transactions lets SQLite start the
// WAL over, and with batches back to back that is the writer's own. It
// copies only what the checkpointer has not yet: about one batch (a batch of
// 1000 articles is some 3,300 pages) every few batches.
const walBackstop = 16384 // 64 MiB of 4 KiB pages; Config.walBackstop in tests

// checkpointer copies committed pages from the WAL into the database file
// on its own connection, while the writer goes on with the next batch,
// instead of in the writer after every commit (SQLite's default, which
// took about 15% of a batch's write time). A PASSIVE checkpoint never
// blocks the writer or readers, and durability does not depend on it: a
// transaction is durable once its WAL frames are fsynced at commit.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	done chan struct{}
	once sync.Once
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// Kick asks for a checkpoint of what has been committed so far; it never
// waits.
func (c *checkpointer) Kick() {
	select {
	case c.kick <- struct{}{}:
	default: // one is pending already and will include this commit
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for range c.kick {
		// A failure (a full disk, an I/O error) fails the writer's
		// commits too, and the writer's own checkpoint at walBackstop
		// keeps the WAL bounded meanwhile.
		_, _ = c.checkpoint(context.Background())
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the WAL's size and
// what of it is now in the database file, in pages.
func (c *checkpointer) checkpoint(ctx context.Context) (walStats, error) {
	var busy int
	var st walStats
	err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &st.Log, &st.Checkpointed)
	return st, err
}

// Close stops the checkpointer and closes its connection; it is
// idempotent.
func (c *checkpointer) Close() error {
	var err error
	c.once.Do(func() {
		close(c.kick)
		<-c.done
		err = c.db.Close()
	})
	return err
}

// walStats are the page counts PRAGMA wal_checkpoint reports: frames in the
// WAL and frames already copied to the database file (-1 when the database
// is not in WAL mode).
type walStats struct {
	Log, Checkpointed int
}
