package kafka

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// The buffered connection under the fetchers hands over every byte in order
// however the reads are cut, and a read deadline still ends a read that
// waits on the socket, after which the connection reads on.
func TestBufferedConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := make([]byte, 3*readBufferSize+123)
	for i := range want {
		want[i] = byte(i * 7)
	}
	more := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 5000)
			if _, err := c.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
		<-more
		_, _ = c.Write([]byte("after the deadline"))
	}()

	c, err := dialBuffered(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make([]byte, 0, len(want))
	for _, size := range []int{1, 2048, 4096, 100, readBufferSize + 1} {
		buf := make([]byte, min(size, cap(got)-len(got)))
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatalf("reading %d bytes: %v", len(buf), err)
		}
		got = append(got, buf...)
	}
	rest := make([]byte, cap(got)-len(got))
	if _, err := io.ReadFull(c, rest); err != nil {
		t.Fatal(err)
	}
	if got = append(got, rest...); !bytes.Equal(got, want) {
		t.Fatal("bytes read differ from bytes written")
	}

	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with nothing sent and a deadline passed: %d bytes, %v; want a deadline error", n, err)
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	close(more)
	after := make([]byte, len("after the deadline"))
	if _, err := io.ReadFull(c, after); err != nil || string(after) != "after the deadline" {
		t.Fatalf("read after the deadline: %q, %v", after, err)
	}
}
